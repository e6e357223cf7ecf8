#include "moesim/reports/migrations.h"

#include <array>

#include "moesim/common/error.h"

namespace moesim::report {

namespace {

// Version 1: the tables of DESIGN.md §4. Column names match the result structs and the
// `--json` keys (§6). Times are ISO-8601 UTC text; money is USD; every column carries
// its unit in its name.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE calibrations (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT NOT NULL,
    gpu            TEXT NOT NULL,
    created_utc    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    profile_json   TEXT NOT NULL,
    profile_sha256 TEXT NOT NULL UNIQUE CHECK (length(profile_sha256) = 64),
    provenance     TEXT NOT NULL           -- "published" | "measured on HOST …" | …
);

CREATE TABLE calibration_points (
    calibration_id INTEGER NOT NULL REFERENCES calibrations(id) ON DELETE CASCADE,
    ordinal        INTEGER NOT NULL,
    kind           TEXT NOT NULL,          -- "gemm" | "attention" | "memory" | "collective" | …
    key            TEXT NOT NULL,          -- the shape, e.g. "M=4096 N=7168 K=2048 dtype=fp8"
    value          REAL NOT NULL,
    unit           TEXT NOT NULL,          -- "TFLOPS" | "GBps" | "us" | "fraction" | …
    source         TEXT NOT NULL,          -- a citation, or "measured"
    PRIMARY KEY (calibration_id, ordinal)
);

CREATE TABLE runs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, so ids stay citable
    created_utc     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    name            TEXT NOT NULL,
    mode            TEXT NOT NULL CHECK (mode IN ('training', 'inference')),
    model           TEXT NOT NULL,
    gpu             TEXT NOT NULL,
    gpus            INTEGER NOT NULL CHECK (gpus > 0),
    scenario_json   TEXT NOT NULL,                      -- full, every default filled in
    scenario_sha256 TEXT NOT NULL CHECK (length(scenario_sha256) = 64),
    tool_version    TEXT NOT NULL,
    git_revision    TEXT NOT NULL,
    calibration_id  INTEGER REFERENCES calibrations(id),
    seed            INTEGER NOT NULL,
    sim_wall_s      REAL NOT NULL,
    fidelity        TEXT NOT NULL                       -- "analytic" | "event"
);
CREATE INDEX runs_by_name ON runs(name);
CREATE INDEX runs_by_scenario ON runs(scenario_sha256);

CREATE TABLE training_results (
    run_id                 INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    step_time_s            REAL NOT NULL,
    tokens_per_step        REAL NOT NULL,
    tokens_per_s           REAL NOT NULL,
    tokens_per_s_per_gpu   REAL NOT NULL,
    model_flops_per_token  REAL NOT NULL,
    mfu                    REAL NOT NULL,
    fp8_utilization        REAL NOT NULL,
    bubble_fraction        REAL NOT NULL,
    exposed_ep_s           REAL NOT NULL,
    exposed_pp_s           REAL NOT NULL,
    exposed_dp_s           REAL NOT NULL,
    exposed_tp_s           REAL NOT NULL,
    peak_memory_GB         REAL NOT NULL,
    gpu_hours              REAL NOT NULL,
    cost_usd               REAL NOT NULL,
    usd_per_million_tokens REAL NOT NULL,
    wall_days              REAL NOT NULL
);

CREATE TABLE inference_results (
    run_id                                  INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    prefill_input_tokens_per_s_per_node     REAL NOT NULL,
    decode_output_tokens_per_s_per_node     REAL NOT NULL,
    ttft_p50_ms                             REAL NOT NULL,
    ttft_p90_ms                             REAL NOT NULL,
    ttft_p99_ms                             REAL NOT NULL,
    tpot_p50_ms                             REAL NOT NULL,
    tpot_p90_ms                             REAL NOT NULL,
    tpot_p99_ms                             REAL NOT NULL,
    requests_completed                      INTEGER NOT NULL,
    kv_cache_utilization                    REAL NOT NULL,
    usd_per_million_input_tokens_cache_miss REAL NOT NULL,
    usd_per_million_input_tokens_cache_hit  REAL NOT NULL,
    usd_per_million_output_tokens           REAL NOT NULL
);

-- Time per (phase, category) of one optimizer step on the critical rank; ordinal keeps
-- the simulator's order. A (phase, category) pair appears once per run.
CREATE TABLE breakdown (
    run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    ordinal  INTEGER NOT NULL,
    phase    TEXT NOT NULL,
    category TEXT NOT NULL,
    seconds  REAL NOT NULL,
    PRIMARY KEY (run_id, ordinal),
    UNIQUE (run_id, phase, category)
);

CREATE TABLE assumptions (
    run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    text    TEXT NOT NULL,
    PRIMARY KEY (run_id, ordinal)
);

-- Published API prices, for `moesim report compare`. `tag` is PUBLISHED.md's: V read in
-- the source, D derived, U unverified. `as_of` dates the source the price was read from;
-- valid_from / valid_until bound the period the source says the price applies to.
CREATE TABLE prices (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    product                TEXT NOT NULL,   -- the API's model name, e.g. "deepseek-chat"
    model                  TEXT NOT NULL,   -- the model behind it, e.g. "deepseek-v3"
    item                   TEXT NOT NULL CHECK (item IN ('input_cache_hit', 'input_cache_miss', 'output')),
    usd_per_million_tokens REAL NOT NULL CHECK (usd_per_million_tokens >= 0),
    conditions             TEXT NOT NULL DEFAULT '',  -- e.g. an off-peak window
    valid_from             TEXT,
    valid_until            TEXT,
    source                 TEXT NOT NULL,
    tag                    TEXT NOT NULL,
    as_of                  TEXT NOT NULL,
    UNIQUE (product, model, item, conditions, as_of)
);
)sql";

// Version 2: the prices of PUBLISHED.md §G, with its source text and tags. DeepSeek's
// rows are dated by the 2025-09 version of its pricing pages; the V3 and R1 standard prices
// end where V3.1's begin (2025-09-05 16:00 UTC, when V3.1 took over both API names), the
// off-peak discount on the date the page gives. OpenAI's page was not retrieved, so the
// GPT-4o rows are dated by their model snapshot and tagged as secondary. The V3 launch
// promotion (tagged U there) is left out; GPT-4o-2024-05-13 has no cached-input price.
constexpr const char* kSeedPricesV2 = R"sql(
WITH
  -- One row per line of PUBLISHED.md's table: cache-hit input, cache-miss input, output.
  offer(ordinal, product, model, hit, miss, output, conditions, valid_from, valid_until, source, tag, as_of) AS (VALUES
    (1, 'deepseek-chat', 'deepseek-v3', 0.07, 0.27, 1.10, '', NULL, '2025-09-05T16:00Z',
        'api-docs.deepseek.com/quick_start/pricing-details-usd', 'V', '2025-09'),
    (2, 'deepseek-reasoner', 'deepseek-r1', 0.14, 0.55, 2.19, '', NULL, '2025-09-05T16:00Z',
        'api-docs.deepseek.com/quick_start/pricing-details-usd; DAY6', 'V', '2025-09'),
    (3, 'deepseek-chat', 'deepseek-v3', 0.035, 0.135, 0.550, 'off-peak, UTC 16:30–00:30', NULL, '2025-09-05',
        'api-docs.deepseek.com/quick_start/pricing, stored 2025-09 version', 'V', '2025-09'),
    (4, 'deepseek-reasoner', 'deepseek-r1', 0.035, 0.135, 0.550, 'off-peak, UTC 16:30–00:30', NULL, '2025-09-05',
        'api-docs.deepseek.com/quick_start/pricing, stored 2025-09 version', 'V', '2025-09'),
    (5, 'deepseek-chat', 'deepseek-v3.1', 0.07, 0.56, 1.68, '', '2025-09-05T16:00Z', NULL,
        'api-docs.deepseek.com/quick_start/pricing, stored 2025-09 version', 'V', '2025-09'),
    (6, 'deepseek-reasoner', 'deepseek-v3.1', 0.07, 0.56, 1.68, '', '2025-09-05T16:00Z', NULL,
        'api-docs.deepseek.com/quick_start/pricing, stored 2025-09 version', 'V', '2025-09'),
    (7, 'gpt-4o', 'gpt-4o-2024-08-06', 1.25, 2.50, 10.00, '', '2024-08-06', NULL,
        'secondary sources; openai.com/api/pricing not retrieved', 'V (secondary)', '2024-08-06'),
    (8, 'gpt-4o-2024-05-13', 'gpt-4o-2024-05-13', NULL, 5.00, 15.00, '', '2024-05-13', NULL,
        'secondary sources; openai.com/api/pricing not retrieved', 'V (secondary)', '2024-05-13')),
  item(rank, name) AS (VALUES (1, 'input_cache_hit'), (2, 'input_cache_miss'), (3, 'output'))
INSERT INTO prices (product, model, item, usd_per_million_tokens, conditions, valid_from, valid_until, source, tag,
                    as_of)
SELECT product, model, item_name, price, conditions, valid_from, valid_until, source, tag, as_of
FROM (SELECT offer.*, item.rank, item.name AS item_name,
             CASE item.rank WHEN 1 THEN hit WHEN 2 THEN miss ELSE output END AS price
      FROM offer CROSS JOIN item)
WHERE price IS NOT NULL  -- GPT-4o-2024-05-13 has no cached-input price
ORDER BY ordinal, rank;
)sql";

// Version 3: what tells runs apart (issue 18). A run keeps its scenario's name (reports and
// --name select by it) and gains a label, the name tagged with the overrides that made it
// (--set, and the rate --find-max-load chose), and those overrides as a JSON array of
// "/json/pointer=value". Serving results gain the offered rate, the measured, unfinished and
// rejected request counts, the output tokens their cost is over, and the SLO verdict;
// training results the memory headroom (the fit check's capacity minus the peak, in
// peak_memory_GB's unit) and whether the layout is over memory (--allow-memory-overflow).
// Rows written before keep NULL there ("not recorded"), except what their stored scenario
// says: the label is the name, and a Poisson run's offered rate is its scenario's.
constexpr const char* kRunIdentityV3 = R"sql(
ALTER TABLE runs ADD COLUMN label TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN overrides_json TEXT NOT NULL DEFAULT '[]';
UPDATE runs SET label = name;

ALTER TABLE training_results ADD COLUMN memory_headroom_GB REAL;
ALTER TABLE training_results ADD COLUMN over_memory INTEGER CHECK (over_memory IN (0, 1));

ALTER TABLE inference_results ADD COLUMN requests_per_s REAL;
ALTER TABLE inference_results ADD COLUMN requests_measured INTEGER;
ALTER TABLE inference_results ADD COLUMN requests_unfinished INTEGER;
ALTER TABLE inference_results ADD COLUMN requests_rejected INTEGER;
ALTER TABLE inference_results ADD COLUMN output_tokens_decoded INTEGER;
ALTER TABLE inference_results ADD COLUMN slo_met INTEGER CHECK (slo_met IN (0, 1));
ALTER TABLE inference_results ADD COLUMN slo_missed TEXT NOT NULL DEFAULT '';  -- "ttft_p99_ms,tpot_p99_ms"
UPDATE inference_results
SET requests_per_s = (SELECT json_extract(r.scenario_json, '$.inference.traffic.requests_per_s')
                      FROM runs AS r
                      WHERE r.id = inference_results.run_id
                        AND json_valid(r.scenario_json)
                        AND json_extract(r.scenario_json, '$.inference.traffic.arrival') = 'poisson');
)sql";

// Schema 4: `moesim sweep` records the sweep once and tags each of its runs with it; a sweep
// run again (same name, same document) reuses its row, so its finished points are skipped.
constexpr const char* kSweepsV4 = R"sql(
CREATE TABLE sweeps (
    id             INTEGER PRIMARY KEY,
    created_utc    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    name           TEXT NOT NULL,
    sweep_json     TEXT NOT NULL,          -- the sweep document, as read
    sweep_sha256   TEXT NOT NULL,
    points         INTEGER NOT NULL        -- points the axes span
);
CREATE UNIQUE INDEX sweeps_by_document ON sweeps(name, sweep_sha256);
ALTER TABLE runs ADD COLUMN sweep_id INTEGER REFERENCES sweeps(id);
CREATE INDEX runs_by_sweep ON runs(sweep_id);
)sql";

// Schema 5: serving runs count the measured requests that waited for decode KV room
// (admission "hold", sim/inference decode_placement.h); NULL in rows written before.
constexpr const char* kDecodeHoldsV5 = R"sql(
ALTER TABLE inference_results ADD COLUMN decode_holds INTEGER;
)sql";

// Schema 6: `moesim run --fidelity full --network flows` times every collective of the step as
// flows on the topology and reports, per traffic class, the sum of its collectives' durations
// alone (closed form) and as achieved sharing the fabric (issue 15, item 4). One row per class
// of such a run; runs without flows have none.
constexpr const char* kTrafficClassesV6 = R"sql(
CREATE TABLE traffic_classes (
    run_id          INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    ordinal         INTEGER NOT NULL,
    class           TEXT NOT NULL,     -- ep_dispatch, ep_combine, pp, dp_rs, dp_ag, tp
    instances       INTEGER NOT NULL,  -- collectives of the class in the step
    ideal_s         REAL NOT NULL,     -- their durations alone (closed form), summed
    achieved_s      REAL NOT NULL,     -- as achieved on the shared fabric, summed
    worst_slowdown  REAL NOT NULL,     -- max over instances of achieved / ideal
    slowed          INTEGER NOT NULL,  -- instances more than 1% over their ideal
    PRIMARY KEY (run_id, ordinal)
);
)sql";

constexpr std::array<Migration, 6> kMigrations = {{
    {1, "results schema: runs, training/inference results, breakdown, assumptions, calibrations, prices",
     kSchemaV1},
    {2, "seed published API prices (PUBLISHED.md section G)", kSeedPricesV2},
    {3, "run identity: label, overrides; serving rate, SLO verdict, request counts; training memory headroom",
     kRunIdentityV3},
    {4, "sweeps: one row per sweep document, runs tagged with their sweep", kSweepsV4},
    {5, "serving: requests held for decode KV room", kDecodeHoldsV5},
    {6, "traffic classes of --network flows runs: ideal vs achieved communication time per class", kTrafficClassesV6},
}};

}  // namespace

std::span<const Migration> migrations() {
    for (std::size_t i = 0; i < kMigrations.size(); ++i)
        MOESIM_CHECK(kMigrations[i].version == static_cast<int>(i) + 1, "migrations must be numbered 1, 2, 3, …");
    return kMigrations;
}

int latest_schema_version() { return static_cast<int>(migrations().size()); }

}  // namespace moesim::report
