#include "moesim/engine/maxmin.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "moesim/common/error.h"
#include "moesim/engine/detail/slots.h"

namespace moesim::engine {

namespace {
constexpr std::uint32_t kMaxIndex = 0x80000000U;  // indices fit the 31 bits of a Pending key
}  // namespace

// Heap order: lower level first; at equal level a bound before a constraint, then index.
bool MaxMinSolver::Later::operator()(const Pending& a, const Pending& b) const { return a.key > b.key; }

MaxMinSolver::Pending::Pending(double level, std::uint32_t index, bool is_bound) {
    const auto bits = std::bit_cast<std::uint64_t>(level + 0.0);  // −0 as +0
    key = (static_cast<unsigned __int128>(bits) << 32) | (is_bound ? 0U : 0x80000000U) | index;
}

double MaxMinSolver::Pending::level() const { return std::bit_cast<double>(static_cast<std::uint64_t>(key >> 32)); }

ConstraintId MaxMinSolver::add_constraint(double capacity) {
    MOESIM_CHECK(capacity >= 0, "constraint capacity must be non-negative");
    const auto id = static_cast<ConstraintId>(constraints_.size());
    MOESIM_CHECK(id < kMaxIndex, "too many constraints");
    constraints_.push_back(Constraint{});
    constraints_.back().capacity = capacity;
    parent_.push_back(id);
    component_of_root_.push_back({id});
    return id;
}

void MaxMinSolver::set_capacity(ConstraintId constraint, double capacity) {
    MOESIM_CHECK(constraint < constraints_.size(), "unknown constraint");
    MOESIM_CHECK(capacity >= 0, "constraint capacity must be non-negative");
    constraints_[constraint].capacity = capacity;
    capacity_changed_ = true;
    mark_dirty(constraint);
}

VariableId MaxMinSolver::add_variable(std::span<const ConstraintId> constraints, double bound) {
    MOESIM_CHECK(bound >= 0, "variable bound must be non-negative");
    const auto count = static_cast<std::uint32_t>(constraints.size());
    const VariableId id = detail::take_slot(free_variables_, variables_);
    MOESIM_CHECK(id < kMaxIndex, "too many variables");
    Variable& variable = variables_[id];
    if (count > variable.reserved) {  // the slot's old room is too small: take new room
        variable.first = static_cast<std::uint32_t>(memberships_.size());
        variable.reserved = count;
        memberships_.resize(memberships_.size() + count);
    }
    variable.count = count;
    variable.bound = bound;
    variable.value = 0;
    variable.live = true;
    variable.fresh = count > 0;
    for (std::uint32_t k = 0; k < count; ++k) {
        const ConstraintId c = constraints[k];
        MOESIM_CHECK(c < constraints_.size(), "unknown constraint");
        for (std::uint32_t j = 0; j < k; ++j) {
            MOESIM_CHECK(constraints[j] != c, "a variable uses a constraint twice");
        }
        Constraint& constraint = constraints_[c];
        memberships_[variable.first + k] = c;
        constraint.members.push_back(Member{id, variable.generation});
        ++constraint.live;
        ++constraint.added;
        if (bound != kUnbounded) ++constraint.bounded;
        if (k > 0) join(constraints[0], c);
        mark_dirty(c);
    }
    if (count == 0) variable.value = bound;  // nothing shares it: it takes its bound
    else added_floor_ = std::min(added_floor_, bound);
    ++live_variables_;
    return id;
}

void MaxMinSolver::remove_variable(VariableId id) {
    MOESIM_CHECK(id < variables_.size() && variables_[id].live, "unknown variable");
    Variable& variable = variables_[id];
    // A variable added since the last solve has no value yet: nothing below it is sure to stay.
    if (variable.count > 0) removed_floor_ = std::min(removed_floor_, variable.fresh ? 0.0 : variable.value);
    variable.fresh = false;
    ++variable.generation;  // its entries in the member lists are stale from now on
    for (std::uint32_t k = 0; k < variable.count; ++k) {
        const ConstraintId c = memberships_[variable.first + k];
        Constraint& constraint = constraints_[c];
        --constraint.live;
        if (variable.bound != kUnbounded) --constraint.bounded;
        if (constraint.members.size() > 2 * static_cast<std::size_t>(constraint.live) + 16) compact(constraint);
        mark_dirty(c);
    }
    ++removals_since_rebuild_;
    variable.live = false;
    variable.count = 0;
    free_variables_.push_back(id);
    --live_variables_;
}

double MaxMinSolver::load(ConstraintId constraint) const {
    double sum = 0;
    for (const Member& m : constraints_[constraint].members)
        if (current(m)) sum += variables_[m.variable].value;
    return sum;
}

// Drops the stale entries, keeping the live ones in order.
void MaxMinSolver::compact(Constraint& constraint) {
    auto& members = constraint.members;
    std::size_t kept = 0;
    for (const Member& m : members)
        if (current(m)) members[kept++] = m;
    members.resize(kept);
}

void MaxMinSolver::mark_dirty(ConstraintId constraint) {
    if (constraints_[constraint].dirty) return;
    constraints_[constraint].dirty = true;
    dirty_.push_back(constraint);
}

void MaxMinSolver::solve() {
    if (removals_since_rebuild_ > live_variables_ + constraints_.size()) rebuild_components();
    ++epoch_;
    component_constraints_.clear();
    component_variables_.clear();
    const bool walk = suffix_resolve_ && !capacity_changed_ && !dirty_.empty();
    if (walk) walk_from_changes();
    else collect_components();
    for (const ConstraintId c : dirty_) {
        constraints_[c].dirty = false;
        constraints_[c].added = 0;
    }
    dirty_.clear();
    capacity_changed_ = false;
    removed_floor_ = kUnbounded;
    added_floor_ = kUnbounded;
    fill(walk);
    for (const VariableId v : component_variables_) variables_[v].fresh = false;
    if (walk) ++walked_solves_;
    variables_solved_ += component_variables_.size();
}

void MaxMinSolver::solve_all() {
    for (ConstraintId c = 0; c < constraints_.size(); ++c) mark_dirty(c);
    capacity_changed_ = true;  // from scratch, not from the changes
    solve();
}

// Component solve: every constraint of every component that holds a dirty one.
void MaxMinSolver::collect_components() {
    for (const ConstraintId c : dirty_) {
        const ConstraintId root = find_root(c);
        if (constraints_[root].visited == epoch_) continue;
        constraints_[root].visited = epoch_;
        const auto& component = component_of_root_[root];
        component_constraints_.insert(component_constraints_.end(), component.begin(), component.end());
    }
}

// The level at which `constraint` first saturates once its `added` new variables join it,
// with every other member at most its value of the last solve: the λ where
// Σ_{old members} min(x_i, λ) + added·λ = C_c (see the header). Sorts the members' values.
double MaxMinSolver::entry_level(const Constraint& constraint) {
    entry_values_.clear();
    for (const Member& m : constraint.members) {
        if (!current(m)) continue;
        const Variable& variable = variables_[m.variable];
        if (!variable.fresh) entry_values_.push_back(variable.value);
    }
    std::sort(entry_values_.begin(), entry_values_.end());
    const double k = constraint.added;
    double below = 0;  // Σ of the values under the level
    const std::size_t n = entry_values_.size();
    for (std::size_t j = 0; j < n; ++j) {
        // Members j.. at or above the level: below + (n − j + k)·λ = C.
        const double level = std::max(0.0, constraint.capacity - below) / (static_cast<double>(n - j) + k);
        if (level <= entry_values_[j]) return level;
        below += entry_values_[j];
    }
    return std::max(0.0, constraint.capacity - below) / k;
}

// Incremental re-solve (see the header): from the changed constraints, through members at
// or above λ0 (and every variable added since the last solve), breadth first. Visited
// constraints and walked variables get this epoch; the constraints are listed in
// component_constraints_.
void MaxMinSolver::walk_from_changes() {
    double floor = std::min(removed_floor_, added_floor_);
    for (const ConstraintId c : dirty_) {
        const Constraint& constraint = constraints_[c];
        if (constraint.added > 0 && floor > 0) floor = std::min(floor, entry_level(constraint));
    }
    const double threshold = floor == kUnbounded ? kUnbounded : floor * (1 - 1e-9);
    const auto visit = [&](ConstraintId c) {
        Constraint& constraint = constraints_[c];
        if (constraint.visited == epoch_) return;
        constraint.visited = epoch_;
        component_constraints_.push_back(c);
    };
    for (const ConstraintId c : dirty_) visit(c);
    walked_members_.clear();
    for (std::size_t next = 0; next < component_constraints_.size(); ++next) {
        // One pass over the list: compacts it, counts its frozen members into R_c and n_c
        // (in list order, as the fill subtracts them), lists its walked ones for the fill.
        // Whether a member is walked depends on its own value only, so it is known here.
        Constraint& constraint = constraints_[component_constraints_[next]];
        auto& members = constraint.members;
        constraint.remaining = constraint.capacity;
        constraint.unfixed = constraint.live;
        constraint.walked_first = static_cast<std::uint32_t>(walked_members_.size());
        std::size_t kept = 0;
        for (std::size_t i = 0; i < members.size(); ++i) {
            const Member member = members[i];
            Variable& variable = variables_[member.variable];
            if (variable.generation != member.generation) continue;
            members[kept++] = member;
            if (variable.walked != epoch_) {
                if (variable.value < threshold && !variable.fresh) {  // frozen: fixed at its value
                    variable.fixed = epoch_;
                    constraint.remaining = std::max(0.0, constraint.remaining - variable.value);
                    --constraint.unfixed;
                    continue;
                }
                variable.walked = epoch_;
                for (std::uint32_t k = 0; k < variable.count; ++k) visit(memberships_[variable.first + k]);
            }
            walked_members_.push_back(member.variable);
        }
        members.resize(kept);
        constraint.walked_count = static_cast<std::uint32_t>(walked_members_.size()) - constraint.walked_first;
    }
}
ConstraintId MaxMinSolver::find_root(ConstraintId c) {
    while (parent_[c] != c) {
        parent_[c] = parent_[parent_[c]];  // path halving
        c = parent_[c];
    }
    return c;
}

// Union by size: the smaller list moves into the larger.
void MaxMinSolver::join(ConstraintId a, ConstraintId b) {
    ConstraintId ra = find_root(a), rb = find_root(b);
    if (ra == rb) return;
    if (component_of_root_[ra].size() < component_of_root_[rb].size()) std::swap(ra, rb);
    parent_[rb] = ra;
    auto& into = component_of_root_[ra];
    auto& from = component_of_root_[rb];
    into.insert(into.end(), from.begin(), from.end());
    from.clear();
}

// Splits components that removals disconnected: start from singletons, join again.
void MaxMinSolver::rebuild_components() {
    for (ConstraintId c = 0; c < constraints_.size(); ++c) {
        parent_[c] = c;
        component_of_root_[c].assign(1, c);
    }
    for (const Variable& variable : variables_) {
        if (!variable.live) continue;
        for (std::uint32_t k = 1; k < variable.count; ++k) {
            join(memberships_[variable.first], memberships_[variable.first + k]);
        }
    }
    removals_since_rebuild_ = 0;
}

void MaxMinSolver::push_pending(Pending pending) {
    pending_.push_back(pending);
    std::push_heap(pending_.begin(), pending_.end(), Later{});
}

MaxMinSolver::Pending MaxMinSolver::pop_pending() {
    std::pop_heap(pending_.begin(), pending_.end(), Later{});
    const Pending top = pending_.back();
    pending_.pop_back();
    return top;
}

void MaxMinSolver::fix(VariableId id, double value) {
    Variable& variable = variables_[id];
    variable.fixed = epoch_;
    variable.value = value;
    component_variables_.push_back(id);
    for (std::uint32_t k = 0; k < variable.count; ++k) {
        Constraint& c = constraints_[memberships_[variable.first + k]];
        c.remaining = std::max(0.0, c.remaining - value);  // rounding must not go below 0
        --c.unfixed;
    }
}

// Progressive filling over the collected components (see the header for the maths).
// Variables are found through their constraints and listed as they are fixed.
void MaxMinSolver::fill(bool walked) {
    pending_.clear();
    for (const ConstraintId c : component_constraints_) {
        Constraint& constraint = constraints_[c];
        if (!walked) {  // (the walk has set them, its frozen members counted as fixed)
            constraint.remaining = constraint.capacity;
            constraint.unfixed = constraint.live;
        }
        if (constraint.unfixed > 0) {
            pending_.push_back(Pending{constraint.remaining / constraint.unfixed, c, false});
        }
        if (constraint.bounded == 0) continue;
        for (const Member& member : constraint.members) {
            if (!current(member)) continue;
            Variable& variable = variables_[member.variable];
            if (variable.bound == kUnbounded || variable.seen == epoch_) continue;
            if (walked && variable.walked != epoch_) continue;
            variable.seen = epoch_;
            pending_.push_back(Pending{variable.bound, member.variable, true});
        }
    }
    std::make_heap(pending_.begin(), pending_.end(), Later{});

    while (!pending_.empty()) {
        const Pending top = pop_pending();
        if (top.is_bound()) {
            if (variables_[top.index()].fixed != epoch_) fix(top.index(), top.level());
            continue;
        }
        Constraint& constraint = constraints_[top.index()];
        if (constraint.unfixed == 0) continue;
        const double level = constraint.remaining / constraint.unfixed;
        if (level > top.level()) {  // others were fixed below it since it was pushed: its level rose
            push_pending(Pending{level, top.index(), false});
            continue;
        }
        if (walked) {  // its walked members, in list order (the others are frozen, fixed)
            const VariableId* member = walked_members_.data() + constraint.walked_first;
            for (std::uint32_t i = 0; i < constraint.walked_count; ++i)
                if (variables_[member[i]].fixed != epoch_) fix(member[i], level);
            continue;
        }
        // Fix its unfixed members at the level, compacting the list on the way.
        auto& members = constraint.members;
        std::size_t kept = 0;
        for (std::size_t i = 0; i < members.size(); ++i) {
            const Member member = members[i];
            if (!current(member)) continue;
            members[kept++] = member;
            if (variables_[member.variable].fixed != epoch_) fix(member.variable, level);
        }
        members.resize(kept);
    }
}

}  // namespace moesim::engine
