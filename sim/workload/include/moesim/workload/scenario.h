#pragma once
// Scenario schema 1 (DESIGN.md §3): one typed struct per section. Parsed by
// parse_scenario() with j.at(), explicit defaults, unknown keys rejected; every error is a
// ScenarioError naming the file and the JSON path. Units live in the member names.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace moesim::workload {

// Enums start with an Invalid value that the parser refuses (STYLE.md 5).
enum class Mode { Invalid, Training, Inference };
enum class Topology { Invalid, RailOptimized, FatTree, SingleSwitch };
enum class Schedule { Invalid, GPipe, OneFOneB, Interleaved1F1B, ZB1P, DualPipe, DualPipeV };
enum class Recompute { Invalid, None, Selective, Full };
enum class Precision { Invalid, BF16, FP8 };
enum class ExpertLoadKind { Invalid, Uniform, Zipf, Dirichlet, Trace };
enum class Deployment { Invalid, Disaggregated, Colocated };
enum class Arrival { Invalid, Poisson, Trace };
enum class LengthDist { Invalid, Lognormal, Fixed, Uniform };
enum class PrefillBalancer { Invalid, AttentionCost, None };
enum class DecodeAdmission { Invalid, Hold };
// The software stack (the optional "software" section, DESIGN.md §3). "default" is what a
// scenario without the section gets: attention at FlashAttention-3's figures for training and
// prefill and FlashMLA's for decode; DeepEP's normal kernels for training and prefill and its
// low-latency kernels for decode; DeepGEMM for FP8 GEMMs and cuBLAS for BF16 ones.
enum class AttentionKernel { Invalid, Default, FA2, FA3, FlashMLA };
enum class EpComm { Invalid, Default, DeepEpNormal, DeepEpLowLatency, NcclAllToAll };
enum class GemmLibrary { Invalid, Default, DeepGemm, Cublas };

// A link or NIC at a fraction of its rate from a time (cluster.network.faults; honoured by
// `moesim run --fidelity full --network flows`, docs/STEP_FLOWS.md). Either a NIC,
// {"node": n, "nic": i} (its GPU and leaf links, both ways), or a leaf-to-spine cable,
// {"leaf": l, "spine": s} (both ways); rate_fraction 0 = down (routes go round it by ECMP; a
// NIC cannot be down: a GPU's traffic never passes through another GPU).
struct LinkFaultSpec {
    int node = -1, nic = -1;    // a NIC, or
    int leaf = -1, spine = -1;  // a leaf-spine cable
    double rate_fraction = 0;
    double from_s = 0;

    friend bool operator==(const LinkFaultSpec&, const LinkFaultSpec&) = default;
};

struct Network {
    Topology topology = Topology::RailOptimized;
    int nics_per_node = 8;
    double nic_Gbps = 400.0;
    double oversubscription = 1.0;  // core over edge bandwidth ratio, >= 1
    std::vector<LinkFaultSpec> faults;

    friend bool operator==(const Network&, const Network&) = default;
};

struct Cluster {
    std::string gpu = "H800";        // built-in name or path to a GPU spec JSON
    int nodes = 1;
    int gpus_per_node = 8;
    Network network;
    nlohmann::json gpu_overrides = nlohmann::json::object();  // any GPU spec field
    std::string calibration;         // empty = the bundled default profile
    double gpu_hour_usd = 2.0;
    int gpus() const { return nodes * gpus_per_node; }

    friend bool operator==(const Cluster&, const Cluster&) = default;
};

struct Parallelism {
    int tp = 1, pp = 1, dp = 1, ep = 1;
    int zero_stage = 1;               // 0..3
    Schedule schedule = Schedule::OneFOneB;
    int virtual_stages = 1;
    std::optional<std::vector<int>> stage_layers;  // one layer count per stage
    int micro_batch_size = 1;
    int comm_sms = 0;                 // SMs reserved for communication kernels
    Recompute recompute = Recompute::None;

    friend bool operator==(const Parallelism&, const Parallelism&) = default;
};

struct ExpertLoad {
    ExpertLoadKind kind = ExpertLoadKind::Uniform;
    double alpha = 1.0;               // zipf
    double concentration = 1.0;       // dirichlet
    std::string file;                 // trace

    friend bool operator==(const ExpertLoad&, const ExpertLoad&) = default;
};

struct Moe {
    int max_nodes_per_token = 0;      // 0 = unlimited
    ExpertLoad expert_load;
    int redundant_experts = 0;

    friend bool operator==(const Moe&, const Moe&) = default;
};

struct Training {
    int seq_len = 4096;
    std::int64_t global_batch_size = 1;  // sequences per optimizer step
    double total_tokens = 0;             // tokens of the whole run (for GPU-hours and $)
    Precision precision = Precision::BF16;
    Moe moe;
    int steps = 2;

    friend bool operator==(const Training&, const Training&) = default;
};

struct InferencePrecision {
    Precision weights = Precision::FP8;
    Precision kv_cache = Precision::BF16;
    Precision activations = Precision::FP8;

    friend bool operator==(const InferencePrecision&, const InferencePrecision&) = default;
};

struct Mtp {
    int draft_tokens = 0;
    double acceptance = 0.0;          // probability in [0, 1]

    friend bool operator==(const Mtp&, const Mtp&) = default;
};

// redundant_experts (both pools): EPLB replicas of hot experts the pool holds beyond the
// routed experts; each GPU then holds ceil((routed + redundant_experts) / ep) expert slots
// (sim/inference setup.h).
struct PrefillPool {
    int instances = 1, nodes = 1, attn_tp = 1, ep = 1;
    int redundant_experts = 0;
    std::int64_t max_batch_tokens = 16384;
    int micro_batches = 1;
    // How an iteration's tokens go to the attention groups (sim/inference prefill_balancer.h).
    PrefillBalancer balancer = PrefillBalancer::AttentionCost;

    friend bool operator==(const PrefillPool&, const PrefillPool&) = default;
};

struct DecodePool {
    int instances = 1, nodes = 1, attn_tp = 1, ep = 1;
    int redundant_experts = 0;
    int max_batch_per_gpu = 256;
    int micro_batches = 1;
    // Stages of each layer in the overlapped schedule of the micro-batches (sim/inference
    // stage_schedule.h): 1 = no overlap; 4 … 16 = the attention side cut into overlap_stages − 3
    // steps, then dispatch, experts, combine. 5 is DeepSeek's decode pipeline (DAY6).
    int overlap_stages = 5;
    Mtp mtp;
    // What a request does when no decode group has KV room for it (sim/inference
    // decode_placement.h): "hold", wait in FIFO order (the only policy so far).
    DecodeAdmission admission = DecodeAdmission::Hold;

    friend bool operator==(const DecodePool&, const DecodePool&) = default;
};

struct LengthDistribution {
    LengthDist dist = LengthDist::Lognormal;
    double mean = 1000;
    double sigma = 1.0;               // lognormal shape
    double min = 0, max = 0;          // uniform: bounds in tokens (mean = (min + max) / 2)

    friend bool operator==(const LengthDistribution&, const LengthDistribution&) = default;
};

struct Traffic {
    Arrival arrival = Arrival::Poisson;
    double requests_per_s = 1.0;
    double duration_s = 60.0;
    std::string trace_file;           // arrival = trace: CSV arrival_s,input_tokens,output_tokens,cached_tokens
    LengthDistribution input_tokens{LengthDist::Lognormal, 2000, 1.0};
    LengthDistribution output_tokens{LengthDist::Lognormal, 500, 0.8};
    double prefix_cache_hit_rate = 0.0;

    friend bool operator==(const Traffic&, const Traffic&) = default;
};

struct Slo {
    double ttft_p99_ms = 2000;
    double tpot_p99_ms = 50;

    friend bool operator==(const Slo&, const Slo&) = default;
};

struct Inference {
    Deployment deployment = Deployment::Disaggregated;
    InferencePrecision precision;
    PrefillPool prefill;
    DecodePool decode;
    Traffic traffic;
    Slo slo;

    friend bool operator==(const Inference&, const Inference&) = default;
};

// Which kernels price the work; each choice selects its own table of the calibration profile
// (attention, GEMM: the points of that "kernel"; EP: DeepEP's tables, or NCCL's all-to-all
// collective series). The precision stays where it was (training.precision,
// inference.precision): the GEMM library runs at the dtype they give.
struct Software {
    AttentionKernel attention = AttentionKernel::Default;
    EpComm ep_comm = EpComm::Default;
    GemmLibrary gemm = GemmLibrary::Default;

    friend bool operator==(const Software&, const Software&) = default;
};

struct Scenario {
    int schema = 1;
    std::string name;
    Mode mode = Mode::Training;
    std::string model;                 // built-in name or path to an HF-style config.json
    Cluster cluster;
    Parallelism parallelism;
    Training training;                 // meaningful when mode == Training
    Inference inference;               // meaningful when mode == Inference
    Software software;                 // optional section; default = today's stack
    std::uint64_t seed = 1;

    std::string source_file;           // where it was read from (for error messages)
    std::string source_dir;            // relative paths inside resolve against this first

    // Micro-batches per data-parallel rank and optimizer step (validated to be whole).
    std::int64_t micro_batches() const {
        return training.global_batch_size / (std::int64_t{parallelism.dp} * parallelism.micro_batch_size);
    }

    friend bool operator==(const Scenario&, const Scenario&) = default;
};

// Parse and validate a scenario document. `file` only names the source in errors.
// Throws ScenarioError("file", "/json/path", "what is wrong").
Scenario parse_scenario(const nlohmann::json& doc, const std::string& file);

// Read FILE (malformed JSON is reported with line and column), apply --set overrides
// ("/json/pointer=value"; the value is parsed as JSON, or taken as a string if it is not
// JSON), then parse. Throws ScenarioError.
Scenario load_scenario(const std::string& file, const std::vector<std::string>& overrides = {});

// The same for a document already in memory (a scenario compiled into the binary): `file`
// names it in errors, and relative paths inside it resolve against its directory first.
Scenario load_scenario_text(const std::string& text, const std::string& file,
                            const std::vector<std::string>& overrides = {});

// The scenario with every default filled in, as schema-1 JSON (for --explain and for the
// `runs.scenario_json` column). parse_scenario(to_json(s)) == s.
nlohmann::json to_json(const Scenario& s);

// Enum names as they appear in JSON ("dualpipe", "rail-optimized", …).
std::string to_string(Mode);
std::string to_string(Topology);
std::string to_string(Schedule);
std::string to_string(Recompute);
std::string to_string(Precision);
std::string to_string(ExpertLoadKind);
std::string to_string(Deployment);
std::string to_string(Arrival);
std::string to_string(LengthDist);
std::string to_string(PrefillBalancer);
std::string to_string(DecodeAdmission);
std::string to_string(AttentionKernel);
std::string to_string(EpComm);
std::string to_string(GemmLibrary);

}  // namespace moesim::workload
