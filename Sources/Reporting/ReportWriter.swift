import Foundation
import Logging
import Metrics
import Tracing
import WalkaroundCore

/// Writes a report's prose with the provider chain: each configured LLM in order (edge cases
/// skip the providers that do not take them), every answer checked by the `GroundingChecker`,
/// and the template when no provider gives a grounded answer. It never fails.
///
/// Metrics: `walkaround_llm_requests_total{provider,outcome}` per HTTP attempt (`ok`, `timeout`,
/// `rate_limited`, `server_error`, `client_error`, `unreachable`, `malformed`, `ungrounded`),
/// `walkaround_llm_request_seconds{provider}`, and `walkaround_reports_total{provider}` for the
/// provider whose prose was kept (`template` included).
public struct ReportWriter: Sendable {
    public let providers: [LLMProvider]
    let client: ChatCompletionsClient
    let factory: any MetricsFactory
    let logger: Logger

    public init(providers: [LLMProvider], client: ChatCompletionsClient = ChatCompletionsClient(), metrics: any MetricsFactory = MetricsSystem.factory, logger: Logger) {
        self.providers = providers
        self.client = client
        self.factory = metrics
        self.logger = logger
    }

    /// The providers a report goes to, in order.
    public func chain(for report: InspectionReport) -> [LLMProvider] {
        report.edgeCases.isEmpty ? providers : providers.filter(\.takesEdgeCases)
    }

    public func prose(for report: InspectionReport, language: ReportLanguage = .en) async -> ReportProse {
        let outcome = await providerProse(for: report, language: language)
        if let prose = outcome.prose { return prose }
        count("walkaround_reports_total", provider: ReportTemplate.provider)
        return ReportTemplate(language: language).prose(for: report, discarded: outcome.discarded)
    }

    /// The template's prose, at once: what a report shows until a provider's grounded prose replaces it.
    public func templateProse(for report: InspectionReport, language: ReportLanguage = .en, discarded: [String] = []) -> ReportProse {
        ReportTemplate(language: language).prose(for: report, discarded: discarded)
    }

    /// The first grounded prose of the chain in `language` (counted in `walkaround_reports_total`),
    /// or nil with why each provider's answer was discarded.
    /// In a span, with one child span per LLM attempt.
    public func providerProse(for report: InspectionReport, language: ReportLanguage = .en) async -> (prose: ReportProse?, discarded: [String]) {
        await withSpan("report prose") { span in
            span.attributes["walkaround.report.language"] = language.rawValue
            return await chainProse(for: report, language: language)
        }
    }

    /// `walkaround_report_seconds{provider}`: one report's writing from its job's start to its
    /// final prose stored, by the provider whose prose was kept (`template` when none).
    public func recordWriting(provider: String, since started: ContinuousClock.Instant) {
        Metrics.Timer(label: "walkaround_report_seconds", dimensions: [("provider", provider)], factory: factory).record(duration: ContinuousClock.now - started)
    }

    private func chainProse(for report: InspectionReport, language: ReportLanguage) async -> (prose: ReportProse?, discarded: [String]) {
        var discarded: [String] = []
        for provider in chain(for: report) {
            do {
                var prose = try await answer(report, from: provider, language: language)
                prose.discarded = discarded
                count("walkaround_reports_total", provider: provider.name)
                return (prose, discarded)
            } catch is CancellationError {
                break
            } catch {
                discarded.append("\(provider.name): \(error)")
                logger.warning("report provider gave no usable answer", metadata: ["provider": "\(provider.name)", "error": "\(error)"])
            }
        }
        return (nil, discarded)
    }

    /// Counts a report kept with the template's prose.
    public func countTemplate() {
        count("walkaround_reports_total", provider: ReportTemplate.provider)
    }

    /// One provider's grounded prose, after retries of what may pass (timeouts, 429, 5xx).
    func answer(_ report: InspectionReport, from provider: LLMProvider, language: ReportLanguage = .en) async throws -> ReportProse {
        let request = ReportPrompt.request(for: report, language: language)
        let checker = GroundingChecker(language: language)
        var attempt = 0
        while true {
            attempt += 1
            let started = ContinuousClock.now
            do {
                let answer = try await withSpan("llm \(provider.name)", ofKind: .client) { span in
                    span.attributes["gen_ai.request.model"] = provider.model
                    span.attributes["walkaround.llm.provider"] = provider.name
                    span.attributes["walkaround.attempt"] = attempt
                    let answer = try await client.answer(request, with: provider)
                    if let used = answer.promptTokens { span.attributes["gen_ai.usage.input_tokens"] = used }
                    if let used = answer.completionTokens { span.attributes["gen_ai.usage.output_tokens"] = used }
                    return answer
                }
                countTokens(answer, provider: provider)
                let content = answer.content
                let prose = try ReportPrompt.prose(from: content, provider: provider.name, language: language)
                let problems = checker.problems(in: prose, for: report)
                guard problems.isEmpty else { throw LLMError.ungrounded(problems) }
                record(provider, outcome: "ok", since: started)
                return prose
            } catch let error as LLMError {
                record(provider, outcome: error.outcome, since: started)
                guard error.retryable, attempt < provider.maxAttempts else { throw error }
                var wait = provider.backoff * (1 << (attempt - 1))
                if case .http(_, let retryAfter?) = error { wait = max(wait, .milliseconds(Int(min(retryAfter, 4) * 1000))) }
                try await Task.sleep(for: wait)
            }
        }
    }

    private func record(_ provider: LLMProvider, outcome: String, since started: ContinuousClock.Instant) {
        Counter(label: "walkaround_llm_requests_total", dimensions: [("provider", provider.name), ("outcome", outcome)], factory: factory).increment()
        Metrics.Timer(label: "walkaround_llm_request_seconds", dimensions: [("provider", provider.name)], factory: factory)
            .record(duration: ContinuousClock.now - started)
    }

    /// `walkaround_llm_tokens_total{provider,type}` (`prompt`, `completion`), as the server reports them.
    private func countTokens(_ answer: ChatCompletionsClient.Answer, provider: LLMProvider) {
        for (type, used) in [("prompt", answer.promptTokens), ("completion", answer.completionTokens)] {
            guard let used else { continue }
            Counter(label: "walkaround_llm_tokens_total", dimensions: [("provider", provider.name), ("type", type)], factory: factory).increment(by: used)
        }
    }

    private func count(_ label: String, provider: String) {
        Counter(label: label, dimensions: [("provider", provider)], factory: factory).increment()
    }
}
