import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import WalkaroundCore

/// A minimal OpenAI-compatible Chat Completions client: one request, the first choice's content.
public struct ChatCompletionsClient: Sendable {
    let http: HTTPClient

    public init(http: HTTPClient = Self.sharedClient) {
        self.http = http
    }

    /// The process's client for model servers. `HTTPClient.shared` reads with a fixed 90 s
    /// timeout, which silently cut every provider's own `timeout` above 90 s short; here the
    /// provider's timeout (the request deadline) is the only read limit.
    /// Untraced by the client itself: the fallback API is a third party (the `llm <provider>` span
    /// records each call without its URL).
    public static let sharedClient: HTTPClient = {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(10), read: nil))
        configuration.tracing.tracer = nil
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// A chat request: messages and the JSON schema the answer must follow.
    public struct Request: Sendable {
        public var system: String
        public var user: String
        public var schemaName: String
        public var schema: [String: any Sendable]
        public var maxTokens: Int
        public var temperature: Double

        public init(system: String, user: String, schemaName: String, schema: [String: any Sendable], maxTokens: Int = 700, temperature: Double = 0.1) {
            self.system = system
            self.user = user
            self.schemaName = schemaName
            self.schema = schema
            self.maxTokens = maxTokens
            self.temperature = temperature
        }
    }

    /// The content of the first choice. Throws `LLMError` with whether a retry could help.
    public func complete(_ request: Request, with provider: LLMProvider) async throws -> String {
        try await answer(request, with: provider).content
    }

    /// A completion's content and the tokens the server says it used (nil when it does not say, or
    /// says something outside 0…10,000,000: the number is the server's, not to be trusted).
    public struct Answer: Sendable {
        public var content: String
        public var promptTokens: Int?
        public var completionTokens: Int?
    }

    /// The first choice's content with the token usage. Throws `LLMError` with whether a retry could help.
    public func answer(_ request: Request, with provider: LLMProvider) async throws -> Answer {
        var outgoing = HTTPClientRequest(url: provider.baseURL.trimmingSuffix("/") + "/chat/completions")
        outgoing.method = .POST
        outgoing.headers.add(name: "Content-Type", value: "application/json")
        if let key = provider.apiKey, !key.isEmpty { outgoing.headers.add(name: "Authorization", value: "Bearer \(key)") }
        outgoing.body = .bytes(ByteBuffer(bytes: try body(request, provider: provider)))
        let (client, prepared) = (http, outgoing)
        let (status, headers, bytes): (HTTPResponseStatus, HTTPHeaders, ByteBuffer) = try await withDeadline(provider.timeout, orThrow: LLMError.timeout) {
            let response: HTTPClientResponse
            do {
                response = try await client.execute(prepared, timeout: .nanoseconds(Int64(provider.timeout.seconds * 1e9)))
            } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
                throw LLMError.timeout
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                throw LLMError.unreachable("\(error)")
            }
            return (response.status, response.headers, try await response.body.collect(upTo: 4 * 1024 * 1024))
        }
        switch status.code {
        case 200..<300: break
        case 429: throw LLMError.http(429, retryAfter: Self.retryAfterSeconds(headers.first(name: "Retry-After")))
        default: throw LLMError.http(Int(status.code), retryAfter: nil)
        }
        struct Completion: Decodable {
            struct Choice: Decodable {
                struct Message: Decodable { var content: String? }
                var message: Message
            }
            struct Usage: Decodable {
                var promptTokens: Double?
                var completionTokens: Double?
            }
            var choices: [Choice]
            var usage: Usage?

            enum CodingKeys: String, CodingKey { case choices, usage }

            /// A `usage` of the wrong shape (strings, an array) is no usage, not a malformed answer.
            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                choices = try container.decode([Choice].self, forKey: .choices)
                usage = try? container.decodeIfPresent(Usage.self, forKey: .usage)
            }
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard let completion = try? decoder.decode(Completion.self, from: Data(bytes.readableBytesView)),
            let content = completion.choices.first?.message.content
        else {
            throw LLMError.malformed("the response is not a chat completion")
        }
        // Decoded as numbers of any kind, then range-checked: a hostile 1e300 or -5 is no count.
        func tokens(_ value: Double?) -> Int? {
            guard let value, value.isFinite, value >= 0, value <= 10_000_000 else { return nil }
            return Int(value)
        }
        return Answer(content: content, promptTokens: tokens(completion.usage?.promptTokens), completionTokens: tokens(completion.usage?.completionTokens))
    }

    func body(_ request: Request, provider: LLMProvider) throws -> Data {
        let format: [String: Any] =
            switch provider.schemaStyle {
            case .jsonSchema: ["type": "json_schema", "json_schema": ["name": request.schemaName, "schema": request.schema, "strict": true]]
            case .jsonObject: ["type": "json_object", "schema": request.schema]
            }
        let body: [String: Any] = [
            "model": provider.model,
            "messages": [["role": "system", "content": request.system], ["role": "user", "content": request.user]],
            "temperature": request.temperature,
            "max_tokens": request.maxTokens,
            "response_format": format,
        ]
        return try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
    }
}

extension ChatCompletionsClient {
    /// A `Retry-After` header's delay in seconds: a finite, non-negative number of at most an hour;
    /// nil for anything else (an HTTP date, NaN, a negative or absurd value from a hostile server).
    public static func retryAfterSeconds(_ header: String?) -> Double? {
        guard let text = header?.trimmingCharacters(in: .whitespaces), !text.isEmpty, text.count <= 16,
            text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), let value = Double(text), value.isFinite
        else { return nil }
        return min(value, 3600)
    }
}

/// Why a provider gave no usable answer.
public enum LLMError: Error, Equatable, CustomStringConvertible {
    case timeout
    case unreachable(String)
    case http(Int, retryAfter: Double?)
    case malformed(String)
    case ungrounded([String])

    /// Whether another attempt at the same provider could succeed.
    public var retryable: Bool {
        switch self {
        case .timeout, .unreachable: true
        case .http(let code, _): code == 429 || code >= 500
        case .malformed, .ungrounded: false
        }
    }

    /// The `outcome` label of `walkaround_llm_requests_total`.
    public var outcome: String {
        switch self {
        case .timeout: "timeout"
        case .unreachable: "unreachable"
        case .http(429, _): "rate_limited"
        case .http(let code, _): code >= 500 ? "server_error" : "client_error"
        case .malformed: "malformed"
        case .ungrounded: "ungrounded"
        }
    }

    public var description: String {
        switch self {
        case .timeout: "timed out"
        case .unreachable(let reason): "unreachable: \(reason)"
        case .http(let code, _): "answered HTTP \(code)"
        case .malformed(let reason): "malformed answer: \(reason)"
        case .ungrounded(let problems): "ungrounded answer: \(problems.joined(separator: "; "))"
        }
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
