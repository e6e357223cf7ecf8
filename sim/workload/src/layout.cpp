#include "moesim/workload/layout.h"

#include <numeric>
#include <string>

#include "moesim/common/error.h"

namespace moesim::workload {

namespace {

std::string join(const std::vector<int>& v) {
    std::string s;
    for (int x : v) s += (s.empty() ? "" : ", ") + std::to_string(x);
    return "[" + s + "]";
}

void add_op(ParamCounts& c, const Operator& op) {
    const auto p = static_cast<double>(op.params);
    switch (op.placement) {
        case ParamPlacement::TensorSplit:
            c.tensor_split += p;
            if (op.fp8_gemm) c.fp8_tensor_split += p;
            break;
        case ParamPlacement::VocabSplit: c.vocab_split += p; break;
        case ParamPlacement::Expert:
            c.expert += p;
            if (op.fp8_gemm) c.fp8_expert += p;
            break;
        case ParamPlacement::Replicated:
        case ParamPlacement::Invalid: c.replicated += p; break;
    }
}

}  // namespace

ParamCounts& ParamCounts::operator+=(const ParamCounts& o) {
    tensor_split += o.tensor_split;
    vocab_split += o.vocab_split;
    replicated += o.replicated;
    expert += o.expert;
    fp8_tensor_split += o.fp8_tensor_split;
    fp8_expert += o.fp8_expert;
    return *this;
}

ParamCounts layer_params(const Layer& layer) {
    ParamCounts c;
    for (const auto& op : layer.ops) add_op(c, op);
    return c;
}

std::vector<int> stage_layer_counts(int transformer_layers, int stages, const std::optional<std::vector<int>>& override) {
    MOESIM_CHECK(stages > 0, "stages must be positive");
    if (override) {
        const auto& v = *override;
        if (static_cast<int>(v.size()) != stages)
            throw ScenarioError("", "/parallelism/stage_layers",
                                "has " + std::to_string(v.size()) + " entries but the layout has " +
                                    std::to_string(stages) + " pipeline stages");
        for (std::size_t i = 0; i < v.size(); ++i)
            if (v[i] < 0)
                throw ScenarioError("", "/parallelism/stage_layers/" + std::to_string(i),
                                    "must be >= 0, got " + std::to_string(v[i]));
        const int sum = std::accumulate(v.begin(), v.end(), 0);
        if (sum != transformer_layers)
            throw ScenarioError("", "/parallelism/stage_layers",
                                join(v) + " sums to " + std::to_string(sum) + " but the model has " +
                                    std::to_string(transformer_layers) + " layers");
        return v;
    }
    if (transformer_layers < stages)
        throw ScenarioError("", "/parallelism/pp",
                            std::to_string(transformer_layers) + " layers cannot fill " + std::to_string(stages) +
                                " pipeline stages");
    std::vector<int> counts(stages, transformer_layers / stages);
    std::vector<int> order;  // who gets the remainder first: the middle, then first, then last
    for (int i = 1; i + 1 < stages; ++i) order.push_back(i);
    order.push_back(0);
    if (stages > 1) order.push_back(stages - 1);
    for (int i = 0; i < transformer_layers % stages; ++i) ++counts[order[i]];
    return counts;
}

int pipeline_stage_count(Schedule schedule, int pp, int virtual_stages) {
    switch (schedule) {
        case Schedule::Interleaved1F1B: return pp * std::max(1, virtual_stages);
        case Schedule::DualPipeV: return 2 * pp;
        default: return pp;
    }
}

std::vector<std::vector<int>> rank_stages(Schedule schedule, int pp, int virtual_stages) {
    MOESIM_CHECK(pp > 0, "pp must be positive");
    std::vector<std::vector<int>> ranks(pp);
    const int stages = pipeline_stage_count(schedule, pp, virtual_stages);
    for (int r = 0; r < pp; ++r) {
        switch (schedule) {
            case Schedule::Interleaved1F1B:
                for (int s = r; s < stages; s += pp) ranks[r].push_back(s);
                break;
            case Schedule::DualPipe:
                if (pp % 2 != 0)
                    throw ScenarioError("", "/parallelism/pp",
                                        "dualpipe needs an even number of pipeline ranks, got " + std::to_string(pp));
                ranks[r] = {r, pp - 1 - r};
                break;
            case Schedule::DualPipeV: ranks[r] = {r, 2 * pp - 1 - r}; break;
            default: ranks[r] = {r}; break;
        }
    }
    return ranks;
}

std::vector<Stage> pipeline_stages(const ModelAccounting& a, const std::vector<int>& counts) {
    std::vector<Stage> stages(counts.size());
    std::size_t next = 0;  // index into a.layers
    int layer_index = 0;
    for (std::size_t s = 0; s < counts.size(); ++s) {
        Stage& st = stages[s];
        st.first_layer = layer_index;
        st.transformer_layers = counts[s];
        if (s == 0) {
            MOESIM_CHECK(a.layers[next].kind == LayerKind::Embedding, "layers must start with the embedding");
            st.embedding = true;
            st.layers.push_back(&a.layers[next++]);
        }
        for (int i = 0; i < counts[s]; ++i, ++layer_index) {
            MOESIM_CHECK(next < a.layers.size() && (a.layers[next].kind == LayerKind::Dense ||
                                                    a.layers[next].kind == LayerKind::Moe),
                         "stage split does not match the model's layers");
            st.layers.push_back(&a.layers[next++]);
        }
        if (s + 1 == counts.size()) {
            for (; next < a.layers.size(); ++next) {
                st.head = st.head || a.layers[next].kind == LayerKind::Head;
                st.mtp = st.mtp || a.layers[next].kind == LayerKind::Mtp;
                st.layers.push_back(&a.layers[next]);
            }
            MOESIM_CHECK(st.head, "the last stage must hold the LM head");
        }
        for (const Layer* l : st.layers) st.params += layer_params(*l);
    }
    MOESIM_CHECK(layer_index == a.layers_count, "stage split does not cover every layer");
    return stages;
}

PipelineLayout pipeline_layout(const ModelAccounting& a, const Parallelism& p) {
    PipelineLayout out;
    const int n_stages = pipeline_stage_count(p.schedule, p.pp, p.virtual_stages);
    const auto ranks = rank_stages(p.schedule, p.pp, p.virtual_stages);
    out.stages = pipeline_stages(a, stage_layer_counts(static_cast<int>(a.layers_count), n_stages, p.stage_layers));
    ParamCounts embedding;
    for (const auto& l : a.layers)
        if (l.kind == LayerKind::Embedding) embedding += layer_params(l);
    for (int r = 0; r < p.pp; ++r) {
        RankLayout rl;
        rl.rank = r;
        rl.stages = ranks[r];
        for (int s : rl.stages) {
            const Stage& st = out.stages[s];
            rl.transformer_layers += st.transformer_layers;
            rl.embedding = rl.embedding || st.embedding;
            rl.head = rl.head || st.head;
            rl.mtp = rl.mtp || st.mtp;
            rl.params += st.params;
        }
        if (rl.mtp && !rl.embedding) {
            rl.embedding_copy_for_mtp = true;
            rl.params += embedding;
        }
        out.ranks.push_back(std::move(rl));
    }
    return out;
}

RankParams rank_share(const ParamCounts& c, int tp, int ep) {
    MOESIM_CHECK(tp > 0 && ep > 0, "tp and ep must be positive");
    RankParams r;
    r.non_expert = (c.tensor_split + c.vocab_split) / tp + c.replicated;
    r.expert = c.expert / ep;
    r.fp8_non_expert = c.fp8_tensor_split / tp;
    r.fp8_expert = c.fp8_expert / ep;
    return r;
}

}  // namespace moesim::workload
