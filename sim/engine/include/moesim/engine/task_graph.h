#pragma once
// A task graph to simulate: activities, the dependencies between them, the resources
// that run them and the links that flows cross. A plain builder; Simulator runs it.
//
// An activity either lasts a fixed time, or is a flow whose time the flow network
// decides (size and route). Either may occupy a resource while it runs: a serial server
// (capacity 1: a GPU's compute stream, a copy engine) or one that runs k at a time.
// An activity starts once all its predecessors have finished and its resource has a free
// slot; waiting activities take the slot in order of readiness, ties by id.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "moesim/engine/types.h"

namespace moesim::engine {

struct Resource {
    std::string name;
    std::uint32_t capacity = 1;  // activities it runs at once
};

struct Link {
    double capacity_Bps = 0;
    Picoseconds latency_ps = 0;
};

class TaskGraph {
public:
    ResourceId add_resource(std::string name, std::uint32_t capacity = 1);
    LinkId add_link(double capacity_Bps, Picoseconds latency_ps = 0);

    // An activity that lasts `duration_ps` on `resource` (kNoResource: on none).
    ActivityId add_activity(Picoseconds duration_ps, ResourceId resource = kNoResource);
    // An activity that moves `size_bytes` along `route`; the flow network times it.
    ActivityId add_flow(double size_bytes, std::span<const LinkId> route,
                        ResourceId resource = kNoResource);
    // `after` starts only once `before` has finished.
    void add_dependency(ActivityId before, ActivityId after);

    std::size_t activity_count() const { return activities_.size(); }
    std::size_t dependency_count() const { return edges_.size(); }
    const std::vector<Resource>& resources() const { return resources_; }
    const std::vector<Link>& links() const { return links_; }

    bool is_flow(ActivityId a) const { return activities_[a].flow != kNotAFlow; }
    Picoseconds duration_ps(ActivityId a) const { return activities_[a].duration_ps; }
    ResourceId resource(ActivityId a) const { return activities_[a].resource; }
    double flow_size_bytes(ActivityId a) const { return flows_[activities_[a].flow].size_bytes; }
    std::span<const LinkId> flow_route(ActivityId a) const;
    std::uint32_t predecessor_count(ActivityId a) const { return activities_[a].predecessor_count; }

    // Calls visit(successor) for each successor of `a`, in the order they were added.
    template <typename Visit>
    void for_each_successor(ActivityId a, Visit&& visit) const {
        for (std::uint32_t e = activities_[a].first_edge; e != kNoEdge; e = edges_[e].next) {
            visit(edges_[e].to);
        }
    }

    void reserve(std::size_t activities, std::size_t dependencies);

private:
    static constexpr std::uint32_t kNotAFlow = ~std::uint32_t{0};
    static constexpr std::uint32_t kNoEdge = ~std::uint32_t{0};

    struct Activity {
        Picoseconds duration_ps = 0;
        ResourceId resource = kNoResource;
        std::uint32_t flow = kNotAFlow;  // index into flows_
        std::uint32_t predecessor_count = 0;
        std::uint32_t first_edge = kNoEdge;  // successors: a list threaded through edges_
        std::uint32_t last_edge = kNoEdge;
    };
    struct Edge {
        ActivityId to;
        std::uint32_t next;
    };
    struct FlowSpec {
        double size_bytes;
        std::uint32_t route_begin;  // into route_links_
        std::uint32_t route_size;
    };

    ActivityId push_activity(Activity activity);

    std::vector<Resource> resources_;
    std::vector<Link> links_;
    std::vector<Activity> activities_;
    std::vector<Edge> edges_;
    std::vector<FlowSpec> flows_;
    std::vector<LinkId> route_links_;
};

}  // namespace moesim::engine
