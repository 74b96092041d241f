// Metric families that live as long as credd: counters and histograms keyed
// by their label values, rendered into an Exposition (exposition.hpp).
// Gauges are not kept here: credd computes each one when it is scraped
// (daemon_metrics.hpp), so a gauge cannot drift from what it describes.
//
// A counter only grows; nothing here resets or removes a value, so a
// scraper's rates hold for as long as credd runs. Label values are the
// caller's to bound: a family takes whatever values it is given, so callers
// pass only names from config or fixed lists, never a user name or anything
// a client chose.
//
// Thread-safety: every member function may be called from any thread; each
// family guards its values with its own mutex.
#pragma once

#include "daemon/metrics/exposition.hpp"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace credctl::metrics {

// Label values, in the order of the family's label names.
using LabelValues = std::vector<std::string>;
// The same, borrowed for one event: values seen before are counted without
// a copy of them (a request's are counted on every request).
using LabelView = std::initializer_list<std::string_view>;

// Orders label values, owned or borrowed alike.
struct LabelOrder {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
        return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                            [](std::string_view x, std::string_view y) { return x < y; });
    }
};

class CounterFamily {
public:
    CounterFamily(std::string name, std::string help, std::vector<std::string> label_names);
    // Precondition: as many values as label names.
    void add(LabelView values, std::uint64_t n = 1);
    // 0 for values never added to.
    [[nodiscard]] std::uint64_t value(LabelView values) const;
    // Writes the family; `always` are label values shown even at 0, so
    // that a scraper sees the series before its first event.
    void render(Exposition& out, const std::vector<LabelValues>& always = {}) const;

private:
    const std::string name_;
    const std::string help_;
    const std::vector<std::string> label_names_;
    mutable std::mutex mutex_;
    std::map<LabelValues, std::uint64_t, LabelOrder> values_;
    // The values added to last: a request counts the same ones as the one
    // before it, and finds them without a walk of the map.
    std::map<LabelValues, std::uint64_t, LabelOrder>::iterator last_ = values_.end();
};

class HistogramFamily {
public:
    // `bounds`: the buckets' upper bounds, ascending; +Inf is added.
    HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                    std::vector<double> bounds);
    void observe(LabelView values, double sample);
    // Observations so far (the _count), 0 for values never observed.
    [[nodiscard]] std::uint64_t count(LabelView values) const;
    // _bucket{le="..."} (cumulative), _sum, _count per label values.
    void render(Exposition& out) const;

private:
    struct Series {
        std::vector<std::uint64_t> buckets;  // not cumulative; one more than bounds_ (+Inf)
        double sum = 0;
        std::uint64_t count = 0;
    };
    const std::string name_;
    const std::string help_;
    const std::vector<std::string> label_names_;
    const std::vector<double> bounds_;
    mutable std::mutex mutex_;
    std::map<LabelValues, Series, LabelOrder> series_;
};

}  // namespace credctl::metrics
