import Foundation
import Logging
import Metrics
import NIOCore
import Synchronization

/// A small pool of RESP3 connections to one Redis server, for what Redis is good at here: caches,
/// rate counters and events across pods. Redis is never the only copy of anything, so its
/// failures cost speed only: after a failed command the client answers `RedisError.unavailable`
/// at once for a back-off period (no request waits on a dead server), `walkaround_redis_up`
/// shows the degraded mode, and `walkaround_redis_commands_total{outcome}` counts.
public final class RedisClient: Sendable {
    public let settings: RedisSettings
    private let logger: Logger
    private struct State {
        var connections: [RedisConnection?]
        var next = 0
        var downUntil: ContinuousClock.Instant?
        var failures = 0
    }
    private let state: Mutex<State>
    private let up: Gauge
    private let metrics: any MetricsFactory

    public init(settings: RedisSettings, logger: Logger, metrics: any MetricsFactory = MetricsSystem.factory) {
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
        self.state = Mutex(State(connections: Array(repeating: nil, count: max(1, min(settings.poolSize, 64)))))
        self.up = Gauge(label: "walkaround_redis_up", factory: metrics)
        up.record(1)
    }

    /// Whether commands are being tried now (false while backing off after a failure).
    public var isAvailable: Bool {
        state.withLock { state in state.downUntil.map { ContinuousClock.now >= $0 } ?? true }
    }

    /// Runs one command (`["SET", key, value]`); its answer, or `RedisError`.
    @discardableResult
    public func command(_ arguments: [String]) async throws -> RESPValue {
        try await command(arguments.map { Array($0.utf8) })
    }

    @discardableResult
    public func command(_ arguments: [[UInt8]]) async throws -> RESPValue {
        let name = arguments.first.map { String(decoding: $0, as: UTF8.self).uppercased() } ?? ""
        let connection = try await connection()
        do {
            let value = try await connection.send(arguments, timeout: settings.timeout)
            succeeded()
            count(outcome: "ok")
            return value
        } catch let error as RedisError {
            if case .server = error {
                count(outcome: "error_reply")
            } else {
                failed(error, command: name)
            }
            throw error
        }
    }

    /// Several commands in one round trip (pipelined); their answers in order.
    public func pipeline(_ commands: [[String]]) async throws -> [RESPValue] {
        let connection = try await connection()
        do {
            // In order, in one round trip (INCR before its EXPIRE).
            let answers = try await connection.sendAll(commands.map { $0.map { Array($0.utf8) } }, timeout: settings.timeout)
            if let error = answers.first(where: { if case .error = $0 { true } else { false } }), case .error(let message) = error {
                throw RedisError.server(message)
            }
            succeeded()
            count(outcome: "ok")
            return answers
        } catch let error as RedisError {
            if case .server = error { count(outcome: "error_reply") } else { failed(error, command: "PIPELINE") }
            throw error
        }
    }

    /// A live connection from the pool (round robin), connecting the slot's if it has none.
    private func connection() async throws -> RedisConnection {
        let (slot, existing): (Int, RedisConnection?) = try state.withLock { state in
            if let until = state.downUntil, ContinuousClock.now < until {
                throw RedisError.unavailable("backing off after a failure")
            }
            let slot = state.next % state.connections.count
            state.next = (state.next + 1) % state.connections.count
            return (slot, state.connections[slot])
        }
        if let existing, existing.isActive { return existing }
        do {
            let fresh = try await RedisConnection.connect(settings)
            // Another caller may have connected this slot meanwhile: keep the live one, never close a
            // connection that may carry others' commands.
            let kept: RedisConnection = state.withLock { state in
                if let current = state.connections[slot], current.isActive { return current }
                state.connections[slot] = fresh
                return fresh
            }
            if kept !== fresh { fresh.close() }
            return kept
        } catch let error as RedisError {
            failed(error, command: "CONNECT")
            throw error
        }
    }

    private func succeeded() {
        let wasDown = state.withLock { state in
            defer { (state.failures, state.downUntil) = (0, nil) }
            return state.failures > 0
        }
        if wasDown {
            up.record(1)
            logger.notice("redis is answering again", metadata: ["host": "\(settings.host):\(settings.port)"])
        }
    }

    private func failed(_ error: RedisError, command: String) {
        count(outcome: error == .timeout ? "timeout" : "unavailable")
        let counted: (Int, Duration)? = state.withLock { state in
            // Commands that fail together (one lost connection) count as one failure.
            if let until = state.downUntil, ContinuousClock.now < until { return nil }
            state.failures = min(state.failures + 1, 30)
            let factor = Int64(1) << Int64(min(state.failures - 1, 16))
            let backoff = min(settings.backoff * factor, settings.maxBackoff)
            state.downUntil = ContinuousClock.now + backoff
            return (state.failures, backoff)
        }
        guard let (failures, backoff) = counted else { return }
        up.record(0)
        if failures == 1 || failures % 10 == 0 {
            logger.warning(
                "redis failed; running without it (slower, nothing lost)",
                metadata: ["command": "\(command)", "error": "\(error)", "retry_in": "\(backoff)", "failures": "\(failures)"]
            )
        }
    }

    private func count(outcome: String) {
        Counter(label: "walkaround_redis_commands_total", dimensions: [("outcome", outcome)], factory: metrics).increment()
    }

    /// Closes every connection (at shutdown).
    public func close() {
        let connections = state.withLock { state in
            defer { state.connections = state.connections.map { _ in nil } }
            return state.connections
        }
        for connection in connections { connection?.close() }
    }
}

/// One connection subscribed to a channel pattern (`PSUBSCRIBE`), handing each message to
/// `onMessage`; reconnects with back-off while the server is away. Messages published while it
/// was disconnected are lost (Redis pub/sub keeps none): callers treat them as hints.
public final class RedisSubscriber: Sendable {
    public let settings: RedisSettings
    public let pattern: String
    private let logger: Logger
    private let onMessage: @Sendable (_ channel: String, _ payload: [UInt8]) -> Void
    private let subscribed = Flag()

    public init(settings: RedisSettings, pattern: String, logger: Logger, onMessage: @escaping @Sendable (_ channel: String, _ payload: [UInt8]) -> Void) {
        self.settings = settings
        self.pattern = pattern
        self.logger = logger
        self.onMessage = onMessage
    }

    /// Whether the subscription is in place now.
    public var isSubscribed: Bool { subscribed.value.withLock { $0 } }

    /// Runs until the task is cancelled.
    public func run() async {
        var failures = 0
        while !Task.isCancelled {
            do {
                let onMessage = self.onMessage, subscribed = self.subscribed
                let connection = try await RedisConnection.connect(settings) { push in
                    guard case .push(let parts) = push, let kind = parts.first?.string?.lowercased() else { return }
                    switch kind {
                    case "pmessage" where parts.count == 4:
                        if let channel = parts[2].string, let payload = parts[3].bytes { onMessage(channel, payload) }
                    case "psubscribe":
                        subscribed.value.withLock { $0 = true }
                    default: break
                    }
                }
                connection.sendWithoutAnswer([Array("PSUBSCRIBE".utf8), Array(pattern.utf8)])
                if failures > 0 { logger.notice("redis subscription restored", metadata: ["pattern": "\(pattern)"]) }
                failures = 0
                await withTaskCancellationHandler {
                    try? await connection.channel.closeFuture.get()
                } onCancel: {
                    connection.close()
                }
                subscribed.value.withLock { $0 = false }
            } catch {
                subscribed.value.withLock { $0 = false }
                failures += 1
                if failures == 1 || failures % 20 == 0 {
                    logger.warning("redis subscription down; events from other pods arrive by polling", metadata: ["error": "\(error)"])
                }
            }
            let delay = min(settings.backoff * Int64(1 << min(failures, 6)), settings.maxBackoff)
            try? await Task.sleep(for: delay)
        }
    }
}

/// Bytes derived from immutable inputs (a photo's thumbnail at a size), kept in Redis for
/// `lifetime`. What comes back must pass `isValid` (it is outside input); a miss, an invalid entry
/// or Redis down all mean "make it again". `walkaround_cache_total{cache,outcome}` counts.
public struct RedisByteCache: Sendable {
    public let redis: RedisClient
    public let name: String
    public var lifetime: Duration
    public var maxBytes: Int
    private let isValid: @Sendable ([UInt8]) -> Bool
    private let metrics: any MetricsFactory

    public init(
        redis: RedisClient, name: String, lifetime: Duration = .seconds(86_400), maxBytes: Int = 1 << 20,
        metrics: any MetricsFactory = MetricsSystem.factory, isValid: @escaping @Sendable ([UInt8]) -> Bool
    ) {
        self.redis = redis
        self.name = name
        self.lifetime = lifetime
        self.maxBytes = maxBytes
        self.metrics = metrics
        self.isValid = isValid
    }

    public func get(_ key: String) async -> [UInt8]? {
        guard redis.isAvailable, let value = try? await redis.command(["GET", "walkaround:\(name):\(key)"]) else {
            count("error")
            return nil
        }
        guard let bytes = value.bytes else {
            count("miss")
            return nil
        }
        guard bytes.count <= maxBytes, isValid(bytes) else {
            count("invalid")
            return nil
        }
        count("hit")
        return bytes
    }

    public func set(_ key: String, _ bytes: [UInt8]) async {
        guard bytes.count <= maxBytes, redis.isAvailable else { return }
        let milliseconds = max(1, lifetime.components.seconds) * 1000
        _ = try? await redis.command([Array("SET".utf8), Array("walkaround:\(name):\(key)".utf8), bytes, Array("PX".utf8), Array("\(milliseconds)".utf8)])
    }

    private func count(_ outcome: String) {
        Counter(label: "walkaround_cache_total", dimensions: [("cache", name), ("outcome", outcome)], factory: metrics).increment()
    }
}
