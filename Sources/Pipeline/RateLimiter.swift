import Foundation
import Logging
import Metrics
import Storage
import Synchronization

/// Requests allowed per minute, per API key and per station, and web sign-in attempts per
/// client address (0: no limit).
public struct RateLimits: Sendable, Equatable {
    public var perKey: Int
    public var perStation: Int
    public var signInPerClient: Int

    public init(perKey: Int = 1_200, perStation: Int = 2_400, signInPerClient: Int = 10) {
        self.perKey = max(0, perKey)
        self.perStation = max(0, perStation)
        self.signInPerClient = max(0, signInPerClient)
    }

    public var isOff: Bool { perKey == 0 && perStation == 0 && signInPerClient == 0 }
}

/// Counts requests in one-minute windows, per key and per station: in Redis, so the limit holds
/// across every pod; in this process while Redis is missing or not answering (each pod then
/// counts alone: a limit per pod instead of per fleet, never a failed request).
public final class RateLimiter: Sendable {
    public let limits: RateLimits
    private let redis: RedisClient?
    private let local = Mutex<(window: Int64, counts: [String: Int])>((0, [:]))
    private let metrics: any MetricsFactory

    public init(limits: RateLimits, redis: RedisClient?, metrics: any MetricsFactory = MetricsSystem.factory) {
        self.limits = limits
        self.redis = redis
        self.metrics = metrics
    }

    /// Counts one request; nil when it may go on, else how long until the window ends.
    public func admit(keyID: UUID, station: String?, now: Date = Date()) async -> Duration? {
        var counters: [(name: String, limit: Int)] = []
        if limits.perKey > 0 { counters.append(("key:\(keyID.uuidString.lowercased())", limits.perKey)) }
        if let station, limits.perStation > 0 { counters.append(("station:\(station)", limits.perStation)) }
        return await admit(counters, now: now)
    }

    /// Whether a client address (cut to 64 characters) may try to sign in now: nil, or how long
    /// until the minute's window ends, once it has failed `limits.signInPerClient` times in it.
    /// Only failures count (`signInFailed`), so stations behind one address are not locked out by
    /// their own successful sign-ins.
    public func signInWait(from client: String, now: Date = Date()) async -> Duration? {
        guard limits.signInPerClient > 0 else { return nil }
        let seconds = Int64(now.timeIntervalSince1970.rounded(.down))
        let name = "signin:\(client.prefix(64))"
        let count: Int
        if let redis, redis.isAvailable, let value = try? await redis.command(["GET", "walkaround:rate:\(name):\(seconds / 60)"]) {
            count = value.string.flatMap { Int($0) } ?? 0
        } else {
            count = local.withLock { $0.window == seconds / 60 ? $0.counts[name, default: 0] : 0 }
        }
        guard count >= limits.signInPerClient else { return nil }
        Counter(label: "walkaround_rate_limited_total", dimensions: [("scope", "sign_in")], factory: metrics).increment()
        return .seconds(max(1, 60 - seconds % 60))
    }

    /// Counts a failed sign-in from a client address.
    public func signInFailed(from client: String, now: Date = Date()) async {
        guard limits.signInPerClient > 0 else { return }
        _ = await count(["signin:\(client.prefix(64))"], window: Int64(now.timeIntervalSince1970.rounded(.down)) / 60)
    }

    private func admit(_ counters: [(name: String, limit: Int)], now: Date) async -> Duration? {
        guard !counters.isEmpty else { return nil }
        let seconds = Int64(now.timeIntervalSince1970.rounded(.down))
        let window = seconds / 60
        let counts = await count(counters.map(\.name), window: window)
        for ((name, limit), count) in zip(counters, counts) where count > limit {
            Counter(label: "walkaround_rate_limited_total", dimensions: [("scope", String(name.prefix { $0 != ":" }))], factory: metrics).increment()
            return .seconds(max(1, 60 - seconds % 60))
        }
        return nil
    }

    private func count(_ names: [String], window: Int64) async -> [Int] {
        if let redis, redis.isAvailable {
            let commands = names.flatMap { name -> [[String]] in
                let key = "walkaround:rate:\(name):\(window)"
                return [["INCR", key], ["EXPIRE", key, "120"]]
            }
            if let answers = try? await redis.pipeline(commands) {
                return stride(from: 0, to: answers.count, by: 2).map { Int(clamping: answers[$0].int ?? 0) }
            }
        }
        return local.withLock { state in
            if state.window != window { state = (window, [:]) }
            return names.map { name in
                state.counts[name, default: 0] += 1
                return state.counts[name]!
            }
        }
    }
}
