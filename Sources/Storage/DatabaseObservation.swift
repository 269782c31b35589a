import Metrics
import Synchronization
import Tracing

/// A database's calls, observed: a client span per statement (its SQL text with `$n`
/// placeholders, never the bound values), `walkaround_db_query_seconds{system,operation}`
/// (`statement` outside a transaction, `transaction` for a whole one), and the connections in use
/// against the pool's size (`walkaround_db_connections_in_use`, `walkaround_db_connections_max`):
/// a statement outside a transaction holds one for its duration, a transaction for all of it.
public final class DatabaseObservation: Sendable {
    let system: String
    private let inUse = Mutex(0)
    private let inUseGauge: Gauge
    private let statementTimer: Metrics.Timer
    private let transactionTimer: Metrics.Timer

    init(system: String, maxConnections: Int, metrics: any MetricsFactory = MetricsSystem.factory) {
        self.system = system
        inUseGauge = Gauge(label: "walkaround_db_connections_in_use", dimensions: [("system", system)], factory: metrics)
        statementTimer = Metrics.Timer(label: "walkaround_db_query_seconds", dimensions: [("system", system), ("operation", "statement")], factory: metrics)
        transactionTimer = Metrics.Timer(label: "walkaround_db_query_seconds", dimensions: [("system", system), ("operation", "transaction")], factory: metrics)
        Gauge(label: "walkaround_db_connections_max", dimensions: [("system", system)], factory: metrics).record(maxConnections)
        inUseGauge.record(0)
    }

    /// One statement, in a span; `holding` when it takes a connection of its own (not in a
    /// transaction; the body runs once it has the connection). Outside any trace (the claim loop's
    /// polls, lease heartbeats, the janitor, scrapes) no span is opened: a root trace per poll is noise.
    func statement<T>(_ statement: SQLStatement, holding: Bool, _ body: () async throws -> T) async throws -> T {
        guard ServiceContext.current != nil else { return holding ? try await held(statementTimer, body) : try await body() }
        // The text is rendered only for a recorded span: with tracing off a statement costs no string work.
        return try await withSpan(Self.operation(of: statement.fragments.first ?? ""), ofKind: .client) { span in
            if span.isRecording {
                span.attributes["db.system.name"] = system
                span.attributes["db.query.text"] = String(statement.render { "$\($0)" }.prefix(2048))
            }
            guard holding else { return try await body() }
            return try await held(statementTimer, body)
        }
    }

    /// A whole transaction, in a span whose children are its statements. The context it started
    /// in stays readable inside (`outerContext`): what the transaction commits (a job) continues
    /// the request's trace, not the transaction's span.
    /// `body` runs once the transaction has its connection (time and in-use count from then on).
    func transaction<T>(_ body: () async throws -> T) async throws -> T {
        guard let outer = ServiceContext.current else { return try await body() }
        return try await withSpan("transaction", ofKind: .client) { span in
            span.attributes["db.system.name"] = system
            return try await Self.$outerContext.withValue(outer) { try await body() }
        }
    }

    /// Counts a connection as in use, and times the statement or transaction, while `body` runs.
    func holding<T>(transaction: Bool, _ body: () async throws -> T) async throws -> T {
        try await held(transaction ? transactionTimer : statementTimer, body)
    }

    /// Inside a transaction: the trace context the transaction was started in.
    @TaskLocal public static var outerContext: ServiceContext?

    private func held<T>(_ timer: Metrics.Timer, _ body: () async throws -> T) async throws -> T {
        let gauge = inUseGauge
        inUse.withLock { $0 += 1; gauge.record($0) }
        let start = ContinuousClock.now
        defer {
            timer.record(duration: ContinuousClock.now - start)
            inUse.withLock { $0 = max(0, $0 - 1); gauge.record($0) }
        }
        return try await body()
    }

    /// The span's name: the statement's first keyword (`SELECT`, `INSERT`, …), as OpenTelemetry's
    /// database conventions suggest when there is no better summary.
    static func operation(of sql: String) -> String {
        let word = sql.drop { $0 == " " || $0 == "\n" || $0 == "(" }.prefix { $0.isLetter }
        return word.isEmpty ? "statement" : word.uppercased()
    }
}
