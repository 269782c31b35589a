/// One OpenAI-compatible Chat Completions endpoint in the report writer's chain.
public struct LLMProvider: Sendable, Equatable {
    /// The name metrics and reports use (`local`, `fallback`).
    public var name: String
    /// The API root, e.g. `http://llm:8080/v1`; `/chat/completions` is appended.
    public var baseURL: String
    public var model: String
    /// Sent as `Authorization: Bearer …`; from a secret, never logged.
    public var apiKey: String?
    /// For one HTTP attempt, connection included.
    public var timeout: Duration
    /// Attempts per report when the server times out, refuses (429) or fails (5xx).
    public var maxAttempts: Int
    /// The first retry waits this long, each later one twice as long (a `Retry-After` up to 4 s is honoured).
    public var backoff: Duration
    public var schemaStyle: SchemaStyle
    /// Whether edge cases (a plate mismatch, many damages to review) go to this provider; the
    /// self-hosted model leaves them to the stronger fallback.
    public var takesEdgeCases: Bool

    public init(
        name: String, baseURL: String, model: String, apiKey: String? = nil, timeout: Duration = .seconds(20), maxAttempts: Int = 2,
        backoff: Duration = .milliseconds(250), schemaStyle: SchemaStyle = .jsonSchema, takesEdgeCases: Bool = true
    ) {
        self.name = name
        self.baseURL = baseURL
        self.model = model
        self.apiKey = apiKey
        self.timeout = timeout
        self.maxAttempts = maxAttempts
        self.backoff = backoff
        self.schemaStyle = schemaStyle
        self.takesEdgeCases = takesEdgeCases
    }

    /// How the answer's JSON schema is asked for.
    public enum SchemaStyle: String, Sendable, Equatable {
        /// OpenAI's `{"type": "json_schema", "json_schema": {"name", "schema", "strict"}}`.
        case jsonSchema = "json_schema"
        /// llama-cpp-python's `{"type": "json_object", "schema": …}` (grammar-constrained).
        case jsonObject = "json_object"
    }
}
