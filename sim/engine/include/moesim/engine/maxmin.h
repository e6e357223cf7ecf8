#pragma once
// Max-min fair sharing by progressive filling, after SimGrid's lmm "maxmin" solver
// (src/kernel/lmm/maxmin.cpp). It knows variables and constraints only.
//
// The system. Variables x_i ≥ 0 (a flow's rate), each with an optional bound B_i (≤ ∞).
// Constraints c with capacity C_c (a link); variable i either uses c or not:
//
//     Σ_{i uses c} x_i ≤ C_c   for every constraint c,        x_i ≤ B_i   for every i.
//
// The solution is the max-min fair allocation: no x_i can grow without shrinking some
// x_j ≤ x_i. Progressive filling reaches it. Raise one common level λ for all variables
// not yet fixed. With R_c = C_c − Σ(fixed x_i on c) and n_c = the count of unfixed
// variables on c, constraint c saturates when n_c·λ = R_c, at level λ_c = R_c / n_c.
// Take the smallest pending λ_c (or bound B_i); fix each unfixed variable on that
// constraint at x_i = λ_c (or the one variable at B_i), subtract it from R_d and n_d of its
// other constraints d, and repeat until every variable is fixed. Levels only rise: fixing
// x = λ ≤ λ_d on d gives (R_d − λ)/(n_d − 1) ≥ R_d / n_d. So the pending λ_c sit in a heap
// with lazy updates (a popped key that has risen is pushed back), and one solve costs
// O((E + C) log C) for E variable–constraint memberships and C constraints.
// Ties pop in (level, bound-before-constraint, index) order: results are bit-for-bit
// reproducible.
//
// Incremental solving. The allocation splits along the connected components of the
// bipartite variable–constraint graph. Components are kept by union-find over constraints,
// joined as variables arrive. Removals do not split them at once: solving a union of
// components is still exact (they do not interact), only wider; a rebuild after as many
// removals as there are live variables and constraints splits them again, so it costs O(1)
// per removal amortized. A changed capacity (or solve_all, or set_suffix_resolve(false)) marks
// its constraints dirty and solve() re-solves every component that holds a dirty one
// ("component solve"): O(E log C) over those components' E memberships.
//
// Adds and removals: the incremental re-solve. Let λ0 be a level below which the fill of the
// changed system fixes every variable exactly as the last solve did:
//  * a removed variable f changes only n_d of its own constraints d, all still pending at
//    levels ≥ x_f until f was fixed, and removing it only raises them ((R_d)/(n_d − 1) ≥
//    R_d/n_d): λ0 ≤ min x_f over the removed variables;
//  * k_c variables added on c add k_c·λ to its load while the level λ rises. Below the first
//    level at which such a c saturates, every fix is as before (the other constraints see the
//    same members), so c's other members are at min(x_i, λ) with their old x_i, and c
//    saturates at its entry level μ_c, the root of Σ_{old i on c} min(x_i, λ) + k_c·λ = C_c
//    (found from c's old values in sorted order, O(m log m) for its m members): λ0 ≤ min μ_c,
//    and λ0 ≤ the bound of every added variable.
// So every variable with a value below λ0 keeps it. Above λ0 only the variables linked to a
// changed constraint through variables also at ≥ λ0 (or added) can change: the rest of the
// system above λ0 is the same fill with the same R and n. solve() walks from the changed
// constraints, through each visited constraint's members, taking every added member and every
// member at ≥ λ0·(1 − 1e-9) (a lower threshold only widens the walk, which stays exact) and all
// of its constraints; members below it are frozen: they keep their value and count in
// R_c = C_c − Σ frozen on c. Progressive filling then runs over the walked part only, from
// those R_c and n_c = its members there. Whether a member is frozen depends on its own value
// only, so the walk's one pass over a constraint's list compacts it, subtracts the frozen
// members from R_c (in list order) and lists the walked ones: the fill reads no frozen member. Cost: O(Σ |members(c)| over the walked and changed
// constraints (log of it where variables were added) + U log C) for the U walked variables,
// where the component solve costs O(E log C) over the whole component. When the fastest
// variable leaves, or a new one takes a link whose other members are mostly bottlenecked
// below its share, U is the few at the top; when a slow one leaves, or a new one lowers a
// link's level under most of its members, U can be most of the component (worst case
// unchanged: O(E log C)). The result equals the component solve's up to rounding (R_c is
// summed in another order): ~1e-15 relative; maxmin_test checks both against each other and
// against a naive reference.
//
// Removal is lazy: a removed variable leaves its entries in its constraints' member lists,
// marked stale by the slot's generation (which rises at each removal), and each constraint
// counts its live members. A list is compacted, in order, when a solve walks it or when its
// stale entries outnumber its live ones (plus a few): a removal costs O(1) per constraint
// amortized and touches no other variable, and the lists stay at most about twice their live
// size. Members keep their insertion order, so results do not depend on removal order.
//
// Identifiers are slots: a removed variable's id is reused by a later add_variable().
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace moesim::engine {

using VariableId = std::uint32_t;
using ConstraintId = std::uint32_t;

inline constexpr double kUnbounded = std::numeric_limits<double>::infinity();

class MaxMinSolver {
public:
    ConstraintId add_constraint(double capacity);
    void set_capacity(ConstraintId constraint, double capacity);
    double capacity(ConstraintId constraint) const { return constraints_[constraint].capacity; }
    std::size_t constraint_count() const { return constraints_.size(); }

    // A variable using each of `constraints` (no repeats), at most `bound`.
    VariableId add_variable(std::span<const ConstraintId> constraints, double bound = kUnbounded);
    void remove_variable(VariableId variable);
    std::size_t variable_count() const { return live_variables_; }

    // Re-solves the components that changed since the last solve.
    void solve();
    // Re-solves every component (for checks and tests).
    void solve_all();

    // The value of a live variable after the last solve() that reached it.
    double value(VariableId variable) const { return variables_[variable].value; }
    // Variables recomputed by the last solve (their value may be unchanged).
    std::span<const VariableId> last_solved() const { return component_variables_; }

    // Off: adds and removals re-solve whole components as capacity changes do (the solver
    // before the incremental re-solve, first written for removals only as a "suffix"
    // re-solve; for benches and checks). On by default.
    void set_suffix_resolve(bool on) { suffix_resolve_ = on; }

    // How many solves so far were incremental re-solves (adds and removals), for tests and benches.
    std::size_t suffix_solves() const { return walked_solves_; }
    // Σ over all solves so far of the variables each recomputed: the solver's work.
    std::size_t variables_solved() const { return variables_solved_; }

    // Σ values of the variables on a constraint (its current load).
    double load(ConstraintId constraint) const;

private:
    struct Member {  // constraint -> variable, as of the variable slot's generation
        VariableId variable;
        std::uint32_t generation;
    };
    struct Variable {
        double bound = kUnbounded;
        double value = 0;
        std::uint32_t first = 0;     // memberships_[first, first + count)
        std::uint32_t count = 0;
        std::uint32_t reserved = 0;  // room kept at `first` for reuse of the slot
        std::uint32_t fixed = 0;     // the solve epoch that fixed it
        std::uint32_t seen = 0;      // the solve epoch that pushed its bound
        std::uint32_t walked = 0;    // the solve epoch whose incremental walk took it
        std::uint32_t generation = 0;  // rises when the slot's variable is removed
        bool live = false;
        bool fresh = false;          // added since the last solve that reached it (no value yet)
    };
    struct Constraint {
        double capacity = 0;
        std::vector<Member> members;  // live ones and stale ones (removed since the last compaction)
        double remaining = 0;        // R_c during a solve
        std::uint32_t unfixed = 0;   // n_c during a solve
        std::uint32_t live = 0;      // live members
        std::uint32_t bounded = 0;   // live members with a finite bound
        std::uint32_t added = 0;     // members added since the last solve (k_c of the entry level)
        std::uint32_t visited = 0;   // the solve epoch that took it (or, roots, its component)
        std::uint32_t walked_first = 0;  // its walked members: walked_members_[first, first + count)
        std::uint32_t walked_count = 0;
        bool dirty = false;
    };
    // A level at which a constraint (or a variable's bound) saturates, as one integer key in
    // heap order: the level's bits (a non-negative double's bits order as its value), then
    // bound (0) before constraint (1), then the index (< 2^31). One compare, no branch on NaN.
    struct Pending {
        Pending(double level, std::uint32_t index, bool is_bound);
        double level() const;
        std::uint32_t index() const { return static_cast<std::uint32_t>(key) & 0x7fffffffU; }
        bool is_bound() const { return ((key >> 31) & 1U) == 0; }
        unsigned __int128 key;
    };

    struct Later {  // heap order, as a type so the heap algorithms inline it
        bool operator()(const Pending& a, const Pending& b) const;
    };
    bool current(const Member& m) const { return variables_[m.variable].generation == m.generation; }
    void compact(Constraint& constraint);
    void mark_dirty(ConstraintId constraint);
    ConstraintId find_root(ConstraintId constraint);
    void join(ConstraintId a, ConstraintId b);
    void rebuild_components();
    void collect_components();
    double entry_level(const Constraint& constraint);
    void walk_from_changes();
    void fill(bool walked);
    void fix(VariableId variable, double value);
    void push_pending(Pending pending);
    Pending pop_pending();

    std::vector<Variable> variables_;
    std::vector<ConstraintId> memberships_;
    std::vector<Constraint> constraints_;
    std::vector<VariableId> free_variables_;
    std::size_t live_variables_ = 0;

    // Union-find over constraints: parent_, and each root's list of constraints.
    std::vector<ConstraintId> parent_;
    std::vector<std::vector<ConstraintId>> component_of_root_;
    std::size_t removals_since_rebuild_ = 0;

    std::vector<ConstraintId> dirty_;
    // Since the last solve: whether a capacity changed (a component solve follows), the
    // smallest value a removed variable had and the smallest bound of an added one (λ0 of
    // the incremental re-solve is at most both).
    bool capacity_changed_ = false;
    double removed_floor_ = kUnbounded;
    double added_floor_ = kUnbounded;
    std::vector<double> entry_values_;  // scratch of entry_level
    std::vector<VariableId> walked_members_;  // per walked constraint, its walked members
    std::size_t walked_solves_ = 0;
    bool suffix_resolve_ = true;
    std::size_t variables_solved_ = 0;
    std::uint32_t epoch_ = 0;
    std::vector<ConstraintId> component_constraints_;
    std::vector<VariableId> component_variables_;
    std::vector<Pending> pending_;  // a binary min-heap
};

}  // namespace moesim::engine
