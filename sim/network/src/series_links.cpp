#include "moesim/network/series_links.h"

#include <array>
#include <numeric>

#include "moesim/common/error.h"

namespace moesim::network {

namespace {

std::uint32_t find(std::vector<std::uint32_t>& parent, std::uint32_t x) {
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

}  // namespace

SeriesLinks::SeriesLinks(const hw::Topology& topology) {
    const hw::TopoGraph& g = topology.graph();
    const std::size_t links = topology.links().size();
    std::vector<std::uint32_t> parent(links);
    std::iota(parent.begin(), parent.end(), 0U);
    const auto join = [&](std::uint32_t a, std::uint32_t b) {
        a = find(parent, a);
        b = find(parent, b);
        if (a != b) parent[std::max(a, b)] = std::min(a, b);  // the smaller index leads
    };
    for (std::size_t v = 0; v < topology.vertex_count(); ++v) {
        if (g[v].kind == hw::VertexKind::Gpu) continue;  // an end point: routes start and end here
        if (boost::out_degree(v, g) != 2 || boost::in_degree(v, g) != 2) continue;
        std::array<std::uint32_t, 2> out_link{}, out_to{}, in_link{}, in_from{};
        int k = 0;
        for (auto [e, end] = boost::out_edges(v, g); e != end; ++e, ++k) {
            out_link[k] = g[*e].id;
            out_to[k] = static_cast<std::uint32_t>(boost::target(*e, g));
        }
        k = 0;
        for (auto [e, end] = boost::in_edges(v, g); e != end; ++e, ++k) {
            in_link[k] = g[*e].id;
            in_from[k] = static_cast<std::uint32_t>(boost::source(*e, g));
        }
        // Two distinct neighbours, one link each way to each.
        if (out_to[0] == out_to[1]) continue;
        const bool same = (in_from[0] == out_to[0] && in_from[1] == out_to[1]) ||
                          (in_from[0] == out_to[1] && in_from[1] == out_to[0]);
        if (!same) continue;
        // A route in from one neighbour goes out to the other.
        for (int i = 0; i < 2; ++i) join(in_link[i], out_link[out_to[0] == in_from[i] ? 1 : 0]);
    }
    // Number the groups by their smallest link, in link order: deterministic.
    group_of_.assign(links, 0);
    std::vector<std::uint32_t> count;
    for (std::uint32_t l = 0; l < links; ++l) {
        const std::uint32_t root = find(parent, l);
        if (root == l) {
            group_of_[l] = static_cast<std::uint32_t>(count.size());
            count.push_back(0);
        } else {
            group_of_[l] = group_of_[root];  // root < l: numbered already
        }
        ++count[group_of_[l]];
    }
    first_.assign(count.size() + 1, 0);
    for (std::size_t gi = 0; gi < count.size(); ++gi) first_[gi + 1] = first_[gi] + count[gi];
    links_.resize(links);
    std::vector<std::uint32_t> at(first_.begin(), first_.end() - 1);
    for (std::uint32_t l = 0; l < links; ++l) links_[at[group_of_[l]]++] = l;
}

void SeriesLinks::map_route(std::span<const hw::LinkIndex> route, std::vector<std::uint32_t>& out) const {
    const std::size_t first = out.size();
    for (const hw::LinkIndex l : route) {
        MOESIM_CHECK(l < group_of_.size(), "unknown link in a route");
        const std::uint32_t gi = group_of_[l];
        if (out.size() > first && out.back() == gi) continue;  // the series goes on
        out.push_back(gi);
    }
}

}  // namespace moesim::network
