import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// Why a Redis command did not get its answer.
public enum RedisError: Error, Equatable, CustomStringConvertible {
    /// No connection (refused, closed, timed out connecting) or the client is backing off after one.
    case unavailable(String)
    /// The command took longer than its deadline (the connection is closed: answers stay in order).
    case timeout
    /// The server answered with an error reply.
    case server(String)

    public var description: String {
        switch self {
        case .unavailable(let detail): "redis unavailable: \(detail)"
        case .timeout: "redis timed out"
        case .server(let message): "redis error: \(message)"
        }
    }
}

/// A command on its way, with the promise its answer completes.
struct RESPCommand: Sendable {
    var arguments: [[UInt8]]
    var promise: EventLoopPromise<RESPValue>?
}

/// Encodes commands, parses answers and completes the commands' promises in order (pipelining:
/// any number in flight); push messages (pub/sub) go to `onPush`. A protocol error or the end
/// of the connection fails every command still waiting.
final class RESPHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RESPCommand
    typealias OutboundOut = ByteBuffer

    private var received: ByteBuffer?
    private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>()
    private let parser: RESPParser
    private let onPush: @Sendable (RESPValue) -> Void

    init(parser: RESPParser, onPush: @escaping @Sendable (RESPValue) -> Void) {
        self.parser = parser
        self.onPush = onPush
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let command = unwrapOutboundIn(data)
        var buffer = context.channel.allocator.buffer(capacity: 64 + command.arguments.reduce(0) { $0 + $1.count + 16 })
        RESPParser.encode(command.arguments, into: &buffer)
        if let answer = command.promise { waiting.append(answer) }
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if received == nil { received = incoming } else { received!.writeBuffer(&incoming) }
        do {
            // An answer that never completes does not grow without bound.
            if let buffered = received?.readableBytes, buffered > parser.limits.maxBulkBytes + (1 << 20) {
                throw RESPProtocolError("more than \(buffered) bytes buffered without a whole answer")
            }
            while var buffer = received, let value = try parser.parse(&buffer) {
                received = buffer
                if case .push = value {
                    onPush(value)
                } else if let answer = waiting.popFirst() {
                    answer.succeed(value)
                } else {
                    throw RESPProtocolError("an answer nobody asked for")
                }
            }
            if let buffer = received, buffer.readableBytes == 0 { received = nil } else { received?.discardReadBytes() }
        } catch {
            fail(RedisError.unavailable("\(error)"))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(RedisError.unavailable("connection closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(RedisError.unavailable("\(error)"))
        context.close(promise: nil)
    }

    private func fail(_ error: RedisError) {
        while let answer = waiting.popFirst() { answer.fail(error) }
    }
}

/// Where a Redis server is and how to talk to it (`WALKAROUND_REDIS_URL`:
/// `redis://[user:password@]host[:port][/db]`, `rediss://` for TLS).
public struct RedisSettings: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var database: Int
    public var tls: Bool
    /// Each command's deadline, and connecting's.
    public var timeout: Duration
    /// Connections in the pool (commands are pipelined on each).
    public var poolSize: Int
    /// After a failure, commands fail at once for this long (doubling per failure up to `maxBackoff`).
    public var backoff: Duration
    public var maxBackoff: Duration

    public init(
        host: String, port: Int = 6379, username: String? = nil, password: String? = nil, database: Int = 0, tls: Bool = false,
        timeout: Duration = .seconds(1), poolSize: Int = 4, backoff: Duration = .milliseconds(500), maxBackoff: Duration = .seconds(30)
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
        self.timeout = timeout
        self.poolSize = poolSize
        self.backoff = backoff
        self.maxBackoff = maxBackoff
    }

    /// Never the password.
    public var description: String { "redis\(tls ? "s" : "")://\(host):\(port)/\(database)" }

    /// Parses a `redis://` or `rediss://` URL; throws what is wrong with it (never echoing the password).
    public init(url: String) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), ["redis", "rediss"].contains(scheme),
            let host = components.host, !host.isEmpty
        else { throw StorageError.configuration("WALKAROUND_REDIS_URL is not redis://[user:password@]host[:port][/db] or rediss://…") }
        let port = components.port ?? 6379
        guard (1...65_535).contains(port) else { throw StorageError.configuration("WALKAROUND_REDIS_URL port \(port) is out of range") }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard path.isEmpty || (Int(path).map { (0...15_999).contains($0) } ?? false) else {
            throw StorageError.configuration("WALKAROUND_REDIS_URL database \"\(path.prefix(16))\" is not a number")
        }
        self.init(
            host: host, port: port, username: components.user.flatMap { $0.isEmpty ? nil : $0 }, password: components.password,
            database: Int(path) ?? 0, tls: scheme == "rediss"
        )
    }
}

/// One connection: commands pipelined in order, push messages to a callback.
final class RedisConnection: Sendable {
    let channel: any Channel

    init(channel: any Channel) {
        self.channel = channel
    }

    /// Connects, says HELLO 3 (with AUTH when there is a password) and selects the database.
    static func connect(
        _ settings: RedisSettings, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onPush: @escaping @Sendable (RESPValue) -> Void = { _ in }
    ) async throws -> RedisConnection {
        let tls: NIOSSLContext? = settings.tls ? try NIOSSLContext(configuration: .makeClientConfiguration()) : nil
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(settings.timeout))
                .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: settings.host)) }
                        try channel.pipeline.syncOperations.addHandler(RESPHandler(parser: RESPParser(), onPush: onPush))
                    }
                }
                .connect(host: settings.host, port: settings.port).get()
        } catch {
            throw RedisError.unavailable("cannot connect to \(settings.host):\(settings.port): \(error)")
        }
        let connection = RedisConnection(channel: channel)
        do {
            var hello: [String] = ["HELLO", "3"]
            if let password = settings.password { hello += ["AUTH", settings.username ?? "default", password] }
            hello += ["SETNAME", "walkaround"]
            _ = try await connection.send(hello.map { Array($0.utf8) }, timeout: settings.timeout)
            if settings.database != 0 { _ = try await connection.send([Array("SELECT".utf8), Array("\(settings.database)".utf8)], timeout: settings.timeout) }
        } catch {
            connection.close()
            throw error
        }
        return connection
    }

    var isActive: Bool { channel.isActive }

    /// Sends one command and waits for its answer; an error reply throws `RedisError.server`. Past
    /// `timeout` the connection is closed (a late answer would answer the next command).
    func send(_ arguments: [[UInt8]], timeout: Duration) async throws -> RESPValue {
        let promise = channel.eventLoop.makePromise(of: RESPValue.self)
        let channel = self.channel
        let fired = Flag(), answered = Flag()
        // Both run on the channel's event loop, the answer's callback first when the answer came
        // first: a deadline that fires after the answer (its waiter not yet resumed on a loaded
        // machine) leaves the connection open for the next command.
        promise.futureResult.whenComplete { _ in answered.value.withLock { $0 = true } }
        // Completing a promise twice does nothing, so the deadline and a failed write may both
        // fail it whatever the handler did: the command never waits past its deadline.
        let deadline = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            guard !answered.value.withLock({ $0 }) else { return }
            fired.value.withLock { $0 = true }
            promise.fail(RedisError.timeout)
            channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        channel.writeAndFlush(RESPCommand(arguments: arguments, promise: promise)).whenFailure { error in
            promise.fail(RedisError.unavailable("\(error)"))
        }
        let value: RESPValue
        do {
            value = try await promise.futureResult.get()
        } catch {
            throw fired.value.withLock { $0 } ? RedisError.timeout : error
        }
        if case .error(let message) = value { throw RedisError.server(message) }
        return value
    }

    /// Several commands written in this order before any answer is awaited (one round trip);
    /// their answers in order. Error replies are answers here (`.error`), not thrown.
    func sendAll(_ commands: [[[UInt8]]], timeout: Duration) async throws -> [RESPValue] {
        let channel = self.channel
        let promises = commands.map { _ in channel.eventLoop.makePromise(of: RESPValue.self) }
        let fired = Flag(), answered = Flag()
        // As in `send`: a deadline that fires after the last answer closes nothing.
        promises.last?.futureResult.whenComplete { _ in answered.value.withLock { $0 = true } }
        let deadline = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            guard !answered.value.withLock({ $0 }) else { return }
            fired.value.withLock { $0 = true }
            for promise in promises { promise.fail(RedisError.timeout) }
            channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        // Writes from one caller reach the event loop in the order they are made.
        for (command, promise) in zip(commands, promises) {
            channel.write(RESPCommand(arguments: command, promise: promise)).whenFailure { error in
                promise.fail(RedisError.unavailable("\(error)"))
            }
        }
        channel.flush()
        var answers: [RESPValue] = []
        do {
            for promise in promises { answers.append(try await promise.futureResult.get()) }
        } catch {
            throw fired.value.withLock { $0 } ? RedisError.timeout : error
        }
        return answers
    }

    /// Sends without waiting for an answer (SUBSCRIBE's confirmations arrive as pushes in RESP3).
    func sendWithoutAnswer(_ arguments: [[UInt8]]) {
        channel.writeAndFlush(RESPCommand(arguments: arguments, promise: nil), promise: nil)
    }

    func close() {
        channel.close(promise: nil)
    }
}

/// A flag set from another thread.
final class Flag: Sendable {
    let value = Mutex(false)
}

extension TimeAmount {
    /// A Swift `Duration` as NIO's, saturating instead of overflowing.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let limit = Int64.max / 1_000_000_000 - 1
        self = .nanoseconds(min(max(seconds, -limit), limit) * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
