"""Splitting the bytes a client read from credd into whole HTTP answers.
Imported by the integration tests' Python clients that read raw sockets."""


def answers(data):
    """Whole answers in data (each head plus Content-Length bytes), and the rest."""
    out = []
    while b"\r\n\r\n" in data:
        head, rest = data.split(b"\r\n\r\n", 1)
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if len(rest) < length:
            break
        out.append((head.split(b"\r\n", 1)[0], rest[:length]))
        data = rest[length:]
    return out, data
