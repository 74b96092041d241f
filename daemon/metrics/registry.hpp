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

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace credctl::metrics {

// Label values, in the order of the family's label names.
using LabelValues = std::vector<std::string>;

class CounterFamily {
public:
    CounterFamily(std::string name, std::string help, std::vector<std::string> label_names);
    // Precondition: as many values as label names.
    void add(const LabelValues& values, std::uint64_t n = 1);
    // 0 for values never added to.
    [[nodiscard]] std::uint64_t value(const LabelValues& values) const;
    // Writes the family; `always` are label values shown even at 0, so
    // that a scraper sees the series before its first event.
    void render(Exposition& out, const std::vector<LabelValues>& always = {}) const;

private:
    const std::string name_;
    const std::string help_;
    const std::vector<std::string> label_names_;
    mutable std::mutex mutex_;
    std::map<LabelValues, std::uint64_t> values_;
};

class HistogramFamily {
public:
    // `bounds`: the buckets' upper bounds, ascending; +Inf is added.
    HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                    std::vector<double> bounds);
    void observe(const LabelValues& values, double sample);
    // Observations so far (the _count), 0 for values never observed.
    [[nodiscard]] std::uint64_t count(const LabelValues& values) const;
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
    std::map<LabelValues, Series> series_;
};

}  // namespace credctl::metrics
