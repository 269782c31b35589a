import NIOCore
import NIOEmbedded
import Testing

@testable import Storage

/// The RESP3 parser on every reply type, on input cut anywhere, and on hostile numbers.
@Suite struct RESPTests {
    func parse(_ text: String, limits: RESPLimits = RESPLimits()) throws -> RESPValue? {
        var buffer = ByteBuffer(string: text)
        return try RESPParser(limits: limits).parse(&buffer)
    }

    @Test func everyReplyType() throws {
        #expect(try parse("+OK\r\n") == .simpleString("OK"))
        #expect(try parse("-ERR wrong\r\n") == .error("ERR wrong"))
        #expect(try parse(":-42\r\n") == .integer(-42))
        #expect(try parse("$5\r\nhe\r\no\r\n") == .bulkString(Array("he\r\no".utf8)), "a bulk string may hold CRLF")
        #expect(try parse("$-1\r\n") == .null && parse("*-1\r\n") == .null && parse("_\r\n") == .null)
        #expect(try parse("#t\r\n") == .boolean(true) && parse("#f\r\n") == .boolean(false))
        #expect(try parse(",1.5\r\n") == .double(1.5) && parse(",-inf\r\n") == .double(-.infinity))
        #expect(try parse("(123456789012345678901234567890\r\n") == .bigNumber("123456789012345678901234567890"))
        #expect(try parse("=15\r\ntxt:Some string\r\n") == .bulkString(Array("Some string".utf8)))
        #expect(try parse("!9\r\nSYNTAX no\r\n") == .error("SYNTAX no"))
        #expect(try parse("*2\r\n:1\r\n$1\r\na\r\n") == .array([.integer(1), .bulkString([97])]))
        #expect(try parse("~1\r\n+x\r\n") == .set([.simpleString("x")]))
        #expect(try parse("%1\r\n+k\r\n:7\r\n") == .map([(.simpleString("k"), .integer(7))]))
        #expect(try parse(">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\np\r\n") == .push([.bulkString(Array("message".utf8)), .bulkString([99]), .bulkString([112])]))
        #expect(try parse("|1\r\n+ttl\r\n:3\r\n+after\r\n") == .simpleString("after"), "attributes are read past")
    }

    @Test func aValueCutAnywhereWaitsForTheRest() throws {
        let whole = "*3\r\n$3\r\nfoo\r\n%1\r\n+k\r\n,2.5\r\n>1\r\n:9\r\n"
        for cut in 0..<whole.utf8.count {
            var buffer = ByteBuffer(bytes: Array(whole.utf8.prefix(cut)))
            #expect(try RESPParser().parse(&buffer) == nil, "cut at \(cut)")
            #expect(buffer.readerIndex == 0, "nothing consumed at \(cut)")
        }
        var two = ByteBuffer(string: "+a\r\n:1\r\n")
        #expect(try RESPParser().parse(&two) == .simpleString("a"))
        #expect(try RESPParser().parse(&two) == .integer(1))
        #expect(two.readableBytes == 0)
    }

    @Test func hostileNumbersAreRefusedNotTrusted() {
        let limits = RESPLimits(maxBulkBytes: 1024, maxElements: 8, maxDepth: 3)
        for hostile in [
            "$9223372036854775807\r\n", "$1025\r\n", "$-2\r\n", "*9\r\n", "*9223372036854775807\r\n", "%5\r\n", ":9223372036854775808\r\n",
            "*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", "?\r\n", "#x\r\n", ",abc\r\n", "$3\r\nabcXY",
        ] {
            #expect(throws: RESPProtocolError.self, "\(hostile.debugDescription)") { try parse(hostile, limits: limits) }
        }
        #expect(throws: RESPProtocolError.self) { try parse("+" + String(repeating: "a", count: 70_000), limits: limits) }
    }

    @Test func commandsAreArraysOfBulkStrings() {
        var buffer = ByteBuffer()
        RESPParser.encode([Array("SET".utf8), Array("k".utf8), [0, 13, 10]], into: &buffer)
        #expect(String(buffer: buffer) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\n\u{0}\r\n\r\n")
    }

    /// An answer that arrives just before its deadline, with the deadline passing before the
    /// waiter resumes (a loaded machine), keeps the connection: the next command must not meet a
    /// closed channel (CI of stop 28).
    @Test func aDeadlinePassingAfterTheAnswerClosesNothing() async throws {
        let loop = NIOAsyncTestingEventLoop()
        let channel = try await NIOAsyncTestingChannel(loop: loop) { channel in
            try channel.pipeline.syncOperations.addHandler(RESPHandler(parser: RESPParser(), onPush: { _ in }))
        }
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6379))
        let connection = RedisConnection(channel: channel)
        let answer = Task { try await connection.send([Array("PING".utf8)], timeout: .seconds(1)) }
        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        // The answer 1 ns before the deadline; both run in one step of the loop, before the waiter.
        loop.scheduleTask(in: .nanoseconds(999_999_999)) {
            channel.pipeline.fireChannelRead(ByteBuffer(string: "+PONG\r\n"))
        }
        await loop.advanceTime(by: .seconds(2))
        #expect(try await answer.value == .simpleString("PONG"))
        #expect(channel.isActive, "the deadline of an answered command leaves the connection open")
        // A command that really gets no answer still times out and closes it.
        let unanswered = Task { try await connection.send([Array("PING".utf8)], timeout: .seconds(1)) }
        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        await loop.advanceTime(by: .seconds(2))
        await #expect(throws: RedisError.timeout) { try await unanswered.value }
        #expect(!channel.isActive)
    }
}
