import CoreMetrics
import Foundation
import Metrics
import Prometheus

/// The Prometheus registry and the metrics factory that writes into it.
///
/// Components take the factory explicitly, so tests can give each application its own registry
/// instead of sharing the process-wide bootstrap.
public struct WalkaroundMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let factory: any MetricsFactory

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        let latency: [Duration] = [5, 10, 25, 50, 100, 200, 300, 400, 500, 750, 1000, 2500, 5000, 10000, 30000].map { .milliseconds($0) }
        factory.durationHistogramBuckets = [
            "walkaround_photo_processing_seconds": latency,
            "http_request_duration_seconds": latency,
            // Report jobs wait on LLMs (up to the 900 s run limit), backlogs on workers: longer tails.
            "walkaround_job_queue_wait_seconds": latency + [60, 120, 300, 900].map { .seconds($0) },
            "walkaround_job_duration_seconds": latency + [60, 120, 300, 900].map { .seconds($0) },
            "walkaround_report_seconds": [50, 100, 250, 500, 1000, 2500, 5000, 10000, 20000, 40000, 60000, 120000].map { .milliseconds($0) },
        ]
        factory.valueHistogramBuckets = ["walkaround_inference_batch_size": [1, 2, 3, 4, 6, 8, 12, 16, 24, 32]]
        self.factory = factory
    }

    /// The registry in Prometheus text format, with each metric's `# HELP` line (from `help`)
    /// and the process's own metrics (`process_*`).
    public func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        var text = ""
        text.reserveCapacity(buffer.count + 8192)
        for line in String(decoding: buffer, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# TYPE "), let name = line.dropFirst(7).split(separator: " ").first, let help = Self.help[String(name)] {
                text += "# HELP \(name) \(help)\n"
            }
            text += line
            text += "\n"
        }
        while text.hasSuffix("\n\n") { text.removeLast() }
        text += ProcessMetrics.read().exposition()
        return Array(text.utf8)
    }

    /// What each metric answers: the `# HELP` text, and the inventory (docs/observability.md).
    /// A test fails when the binary exports a metric that is not here.
    public static let help: [String: String] = [
        "http_request_duration_seconds": "HTTP requests by method, route template and status: latency, and with _count the traffic and error share.",
        "walkaround_photo_processing_seconds": "Upload to stored findings per photo (the product promise: p90 under 0.5 s).",
        "walkaround_photo_stage_seconds": "Each stage of a photo's processing: queue, read, decode_gate, inference, plates, store.",
        "walkaround_photo_verdicts_total": "Quality verdicts by station: accepted or rejected.",
        "walkaround_photo_rejections_total": "Rejected photos by station and quality issue code (one count per issue).",
        "walkaround_photo_retakes_total": "Uploads of a view that already had a photo in the inspection, by station.",
        "walkaround_uploads_total": "Photo uploads by station and outcome: accepted, replayed (Idempotency-Key), refused.",
        "inference_duration_seconds": "One model run (a batch) by model, model version and batch size.",
        "walkaround_inference_batch_size": "Images per model run, by model and version.",
        "walkaround_detections_total": "Objects a model found, by model, version and class.",
        "walkaround_model_photos_total": "Photos a model ran on, by model and version (detections per photo = detections / photos).",
        "walkaround_model_info": "The loaded detection models: model, version (SHA-256 prefix of the file), role, execution (cpu or cuda). Always 1.",
        "walkaround_remote_inference_seconds": "Calls to the inference pods (Open Inference Protocol) by model.",
        "walkaround_remote_inference_failures_total": "Failed calls to the inference pods by model.",
        "walkaround_plate_read_seconds": "Reading one plate crop (Tesseract), per crop.",
        "walkaround_plate_reads_total": "Plate crops read, by outcome: read, unreadable.",
        "walkaround_jobs_total": "Job attempts by kind and outcome: done, retry, failed, released, quarantined, stale, overran.",
        "walkaround_job_failures_total": "Failed job attempts by kind and reason: transient, unavailable (a dependency down, waited out), permanent, overran, quarantined.",
        "walkaround_job_queue_wait_seconds": "From a job's due time to its claim, by kind.",
        "walkaround_job_duration_seconds": "One job attempt from claim to end, by kind.",
        "walkaround_jobs_in_flight": "Jobs this worker is running now, by kind.",
        "walkaround_jobs_queued": "Jobs waiting in the queue (the database's count; every pod reports the same).",
        "walkaround_jobs_due": "Jobs due now, by kind (queued and due, or running with a lapsed lease).",
        "walkaround_jobs_oldest_due_age_seconds": "How long the oldest due job has been due, by kind.",
        "walkaround_llm_requests_total": "LLM calls by provider and outcome: ok, timeout, rate_limited, server_error, client_error, unreachable, malformed, ungrounded.",
        "walkaround_llm_request_seconds": "One LLM call by provider.",
        "walkaround_llm_tokens_total": "Tokens the LLM servers report, by provider and type: prompt, completion.",
        "walkaround_report_seconds": "One report's writing, from its job's start to its final prose stored, by the provider kept (template when none).",
        "walkaround_reports_total": "Reports written, by the provider whose prose was kept.",
        "walkaround_db_connections_in_use": "Database connections in use by this process (statements outside transactions and transactions).",
        "walkaround_db_connections_max": "The size of this process's database connection pool.",
        "walkaround_db_query_seconds": "Database statements outside transactions and whole transactions, by system and operation.",
        "walkaround_redis_up": "1 while Redis answers, 0 while the client is backing off after a failure (running degraded: slower, nothing lost).",
        "walkaround_redis_commands_total": "Redis commands by outcome: ok, error_reply, timeout, unavailable.",
        "walkaround_cache_total": "Redis-backed caches by cache and outcome: hit, miss, error.",
        "walkaround_detection_cache_total": "The detection cache (photo SHA-256 and models digest) by outcome.",
        "walkaround_photo_store_requests_total": "Object-store requests by store, operation and outcome.",
        "walkaround_photo_store_request_seconds": "Object-store requests by store and operation.",
        "walkaround_rate_limited_total": "Requests refused with 429 by scope.",
        "walkaround_janitor_sweeps_total": "Photo-store sweeps and retention runs.",
        "walkaround_janitor_files_removed_total": "Files the janitor removed, by kind.",
        "walkaround_janitor_errors_total": "Errors during janitor sweeps.",
        "walkaround_erasures_total": "Inspections erased, by reason.",
        "walkaround_build_info": "The running build: version and role. Always 1.",
    ]
}

/// The process's own metrics, read from /proc at scrape time (Linux; zeros elsewhere), with the
/// names every Prometheus client library uses.
struct ProcessMetrics {
    var cpuSeconds: Double = 0
    var residentBytes: Double = 0
    var virtualBytes: Double = 0
    var startTimeSeconds: Double = 0
    var openFDs: Int = 0
    var maxFDs: Int = 0

    static func read() -> ProcessMetrics {
        var metrics = ProcessMetrics()
        #if os(Linux)
        let ticks = Double(max(1, sysconf(Int32(_SC_CLK_TCK))))
        let page = Double(max(1, sysconf(Int32(_SC_PAGESIZE))))
        // /proc/self/stat: fields after the command's closing parenthesis (the name may hold spaces).
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") {
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // fields[0] is field 3 (state): utime 14, stime 15, starttime 22, vsize 23, rss 24.
            func field(_ number: Int) -> Double? { fields.count > number - 3 ? Double(fields[number - 3]) : nil }
            metrics.cpuSeconds = ((field(14) ?? 0) + (field(15) ?? 0)) / ticks
            metrics.virtualBytes = field(23) ?? 0
            metrics.residentBytes = (field(24) ?? 0) * page
            if let started = field(22), let boot = bootTime() { metrics.startTimeSeconds = boot + started / ticks }
        }
        metrics.openFDs = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { metrics.maxFDs = Int(clamping: limit.rlim_cur) }
        #endif
        return metrics
    }

    private static func bootTime() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        return stat.split(separator: "\n").first { $0.hasPrefix("btime ") }.flatMap { Double($0.dropFirst(6)) }
    }

    func exposition() -> String {
        [
            ("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", cpuSeconds),
            ("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", residentBytes),
            ("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", virtualBytes),
            ("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", startTimeSeconds),
            ("process_open_fds", "gauge", "Number of open file descriptors.", Double(openFDs)),
            ("process_max_fds", "gauge", "Maximum number of open file descriptors.", Double(maxFDs)),
        ].map { name, type, help, value in "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n" }.joined()
    }
}
