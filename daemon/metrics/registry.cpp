#include "daemon/metrics/registry.hpp"

#include <algorithm>
#include <cassert>

namespace credctl::metrics {
namespace {

LabelPairs pairs(const std::vector<std::string>& names, const LabelValues& values) {
    LabelPairs out;
    out.reserve(names.size() + 1);
    for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) out.emplace_back(names[i], values[i]);
    return out;
}

}  // namespace

CounterFamily::CounterFamily(std::string name, std::string help, std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}

void CounterFamily::add(LabelView values, std::uint64_t n) {
    assert(values.size() == label_names_.size());
    const std::lock_guard lock(mutex_);
    auto it = last_;
    if (it == values_.end() || !std::ranges::equal(it->first, values)) it = values_.find(values);
    if (it == values_.end()) it = values_.emplace(LabelValues(values.begin(), values.end()), 0).first;
    it->second += n;
    last_ = it;
}

std::uint64_t CounterFamily::value(LabelView values) const {
    const std::lock_guard lock(mutex_);
    const auto it = values_.find(values);
    return it == values_.end() ? 0 : it->second;
}

void CounterFamily::render(Exposition& out, const std::vector<LabelValues>& always) const {
    std::map<LabelValues, std::uint64_t> shown;
    for (const auto& v : always) shown[v] = 0;
    {
        const std::lock_guard lock(mutex_);
        for (const auto& [v, n] : values_) shown[v] = n;
    }
    out.family(name_, help_, Type::counter);
    for (const auto& [v, n] : shown) out.sample(name_, pairs(label_names_, v), static_cast<double>(n));
}

HistogramFamily::HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                                 std::vector<double> bounds)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)), bounds_(std::move(bounds)) {
    assert(std::is_sorted(bounds_.begin(), bounds_.end()));
}

void HistogramFamily::observe(LabelView values, double sample) {
    assert(values.size() == label_names_.size());
    // The first bucket whose bound is at least the sample (le: less or equal).
    const auto at =
        static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), sample) - bounds_.begin());
    const std::lock_guard lock(mutex_);
    auto it = series_.find(values);
    if (it == series_.end()) it = series_.emplace(LabelValues(values.begin(), values.end()), Series{}).first;
    Series& s = it->second;
    if (s.buckets.empty()) s.buckets.assign(bounds_.size() + 1, 0);
    ++s.buckets[at];
    s.sum += sample;
    ++s.count;
}

std::uint64_t HistogramFamily::count(LabelView values) const {
    const std::lock_guard lock(mutex_);
    const auto it = series_.find(values);
    return it == series_.end() ? 0 : it->second.count;
}

void HistogramFamily::render(Exposition& out) const {
    std::map<LabelValues, Series, LabelOrder> copy;
    {
        const std::lock_guard lock(mutex_);
        copy = series_;
    }
    out.family(name_, help_, Type::histogram);
    for (const auto& [v, s] : copy) {
        LabelPairs labels = pairs(label_names_, v);
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < s.buckets.size(); ++i) {
            cumulative += s.buckets[i];
            labels.emplace_back("le", i < bounds_.size() ? format_value(bounds_[i]) : "+Inf");
            out.sample(name_ + "_bucket", labels, static_cast<double>(cumulative));
            labels.pop_back();
        }
        out.sample(name_ + "_sum", labels, s.sum);
        out.sample(name_ + "_count", labels, static_cast<double>(s.count));
    }
}

}  // namespace credctl::metrics
