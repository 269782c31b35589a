import Foundation
import WalkaroundCore

/// The written report: the structured data, the prose and who wrote it, and the people's review.
public struct ReportResource: Encodable, Sendable {
    var report: InspectionReport
    var prose: ReportProse
    var writtenAt: Date?
    var review: ReviewResource
    /// The crops beside each other for every damage that could be charged.
    var evidence: [DamageEvidence]

    public init(report: InspectionReport, prose: ReportProse, writtenAt: Date?, review: ReportReview, version: Int, estimate: CostEstimate?) {
        self.report = report
        self.prose = prose
        self.writtenAt = writtenAt
        self.review = ReviewResource(review, report: report, version: version, estimate: estimate)
        evidence = report.evidence(review: review)
    }

    enum CodingKeys: String, CodingKey {
        case status, provider, report, prose, writtenAt, counts, review, evidence
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("written", forKey: .status)
        try container.encode(prose.provider, forKey: .provider)
        try container.encode(report, forKey: .report)
        try container.encode(prose, forKey: .prose)
        try container.encodeIfPresent(writtenAt, forKey: .writtenAt)
        let counts = Dictionary(uniqueKeysWithValues: DamageStatus.allCases.map { ($0.rawValue, report.damages($0).count) })
        try container.encode(counts, forKey: .counts)
        try container.encode(review, forKey: .review)
        try container.encode(evidence, forKey: .evidence)
    }

    /// The API's JSON of this report (snake_case keys, ids in lower case).
    public func json() throws -> Data {
        try APIJSON.lowercasingIDs(APIJSON.encoder.encode(self))
    }
}

/// The review of a report: its state and version, each damage at its reviewed values, and what
/// would be charged (frozen once final).
public struct ReviewResource: Encodable, Sendable {
    var state: String
    var version: Int
    var damages: [ReviewedDamage]
    /// The damages charged once the report is final (confirmed charge candidates).
    var chargeable: [String]
    /// The charge candidates still without a decision.
    var undecided: [String]
    var estimate: CostEstimate?
    var finalizedAt: Date?

    public init(_ review: ReportReview, report: InspectionReport, version: Int, estimate: CostEstimate?) {
        state = review.state.rawValue
        self.version = version
        damages = review.damages(of: report)
        chargeable = damages.filter(\.chargeable).map(\.id)
        undecided = review.undecided(in: report)
        self.estimate = estimate
        finalizedAt = review.finalizedAt
    }
}

