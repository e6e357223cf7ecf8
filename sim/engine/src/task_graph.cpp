#include "moesim/engine/task_graph.h"

#include <cmath>

#include "moesim/common/error.h"

namespace moesim::engine {

ResourceId TaskGraph::add_resource(std::string name, std::uint32_t capacity) {
    MOESIM_CHECK(capacity > 0, "a resource must run at least one activity at a time");
    resources_.push_back(Resource{std::move(name), capacity});
    return static_cast<ResourceId>(resources_.size() - 1);
}

LinkId TaskGraph::add_link(double capacity_Bps, Picoseconds latency_ps) {
    MOESIM_CHECK(capacity_Bps > 0, "link capacity must be positive");
    MOESIM_CHECK(latency_ps >= 0, "link latency must be non-negative");
    links_.push_back(Link{capacity_Bps, latency_ps});
    return static_cast<LinkId>(links_.size() - 1);
}

ActivityId TaskGraph::push_activity(Activity activity) {
    MOESIM_CHECK(activity.resource == kNoResource || activity.resource < resources_.size(),
                 "activity on an unknown resource");
    MOESIM_CHECK(activities_.size() < kNoEdge, "too many activities");
    activities_.push_back(activity);
    return static_cast<ActivityId>(activities_.size() - 1);
}

ActivityId TaskGraph::add_activity(Picoseconds duration_ps, ResourceId resource) {
    MOESIM_CHECK(duration_ps >= 0, "activity duration must be non-negative");
    Activity activity;
    activity.duration_ps = duration_ps;
    activity.resource = resource;
    return push_activity(activity);
}

ActivityId TaskGraph::add_flow(double size_bytes, std::span<const LinkId> route, ResourceId resource) {
    MOESIM_CHECK(size_bytes >= 0 && std::isfinite(size_bytes), "flow size must be finite and non-negative");
    for (const LinkId link : route) MOESIM_CHECK(link < links_.size(), "flow over an unknown link");
    Activity activity;
    activity.resource = resource;
    activity.flow = static_cast<std::uint32_t>(flows_.size());
    flows_.push_back(FlowSpec{size_bytes, static_cast<std::uint32_t>(route_links_.size()),
                              static_cast<std::uint32_t>(route.size())});
    route_links_.insert(route_links_.end(), route.begin(), route.end());
    return push_activity(activity);
}

void TaskGraph::add_dependency(ActivityId before, ActivityId after) {
    MOESIM_CHECK(before < activities_.size() && after < activities_.size(), "dependency on an unknown activity");
    MOESIM_CHECK(before != after, "an activity cannot depend on itself");
    const auto edge = static_cast<std::uint32_t>(edges_.size());
    MOESIM_CHECK(edge < kNoEdge, "too many dependencies");
    edges_.push_back(Edge{after, kNoEdge});
    Activity& from = activities_[before];
    if (from.last_edge == kNoEdge) from.first_edge = edge;
    else edges_[from.last_edge].next = edge;
    from.last_edge = edge;
    ++activities_[after].predecessor_count;
}

std::span<const LinkId> TaskGraph::flow_route(ActivityId a) const {
    const FlowSpec& flow = flows_[activities_[a].flow];
    return {route_links_.data() + flow.route_begin, flow.route_size};
}

void TaskGraph::reserve(std::size_t activities, std::size_t dependencies) {
    activities_.reserve(activities);
    edges_.reserve(dependencies);
}

}  // namespace moesim::engine
