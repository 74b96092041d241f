// HTML reading of the scripted browser (browser.mjs): the forms of a page
// (action, method, inputs), its links, hidden input values, and a form filled
// in the way a person would. Regular expressions over the provider's own
// simple pages, not a general HTML parser.

const ENTITIES = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'", '#x27': "'", '#x2F': '/', '#47': '/',
};

function decodeEntities(s) {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e) => {
    if (ENTITIES[e] !== undefined) return ENTITIES[e];
    if (e[0] === '#') {
      const n = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      if (Number.isFinite(n)) return String.fromCodePoint(n);
    }
    return m;
  });
}

function parseAttrs(s) {
  const attrs = {};
  const re = /([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/g;
  let m;
  while ((m = re.exec(s)) !== null) {
    attrs[m[1].toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

export function parseForms(html) {
  const forms = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attrs = parseAttrs(m[1]);
    const inputs = [...m[2].matchAll(/<input\b([^>]*)>/gi)].map((i) => parseAttrs(i[1]));
    forms.push({
      action: attrs.action ?? '',
      method: (attrs.method || 'get').toLowerCase(),
      inputs,
    });
  }
  return forms;
}

export function hiddenValue(form, name) {
  const input = form.inputs.find((i) => i.name === name && (i.type || 'text').toLowerCase() === 'hidden');
  return input ? input.value ?? '' : undefined;
}

export function findLinks(html) {
  return [...html.matchAll(/<a\b([^>]*)>([\s\S]*?)<\/a>/gi)]
    .map((m) => ({ href: parseAttrs(m[1]).href, text: m[2].replace(/<[^>]*>/g, '').trim() }))
    .filter((l) => l.href);
}

// Fill a form the way a person would: keep hidden/prefilled values, type the
// login into the text field and the password into the password field
// (`login` and `password` as the user types them).
export function fillForm(form, { login, password }) {
  const body = new URLSearchParams();
  for (const input of form.inputs) {
    if (!input.name) continue;
    const type = (input.type || 'text').toLowerCase();
    if (['submit', 'button', 'image', 'reset', 'file'].includes(type)) continue;
    if ((type === 'checkbox' || type === 'radio') && !('checked' in input)) continue;
    if (type === 'password') body.append(input.name, password);
    else if (input.name === 'login' || input.name === 'username' || input.name === 'email') {
      body.append(input.name, login);
    } else body.append(input.name, input.value ?? '');
  }
  return body;
}
