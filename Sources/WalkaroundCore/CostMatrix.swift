import Foundation

/// Repair costs per part × damage class × severity, in one currency, as exact amounts in minor
/// units (cents): never floating point. Loaded from JSON and validated before use:
///
/// ```json
/// {"currency": "EUR",
///  "entries": [
///    {"part": "rear_bumper", "class": "dent", "severity": "minor", "amount": "180.00", "labour_hours": "1.5"},
///    {"part": "*", "class": "scratch", "severity": "minor", "amount": "95"}]}
/// ```
///
/// `part` is a `CarPart` or `*` (any part without its own entry); `amount` and `labour_hours`
/// are decimal strings with at most two decimals (a JSON number would pass through a Double).
public struct CostMatrix: Sendable, Equatable {
    public struct Cell: Sendable, Hashable {
        public var part: CarPart?
        public var className: String
        public var severity: Severity

        public init(part: CarPart?, className: String, severity: Severity) {
            self.part = part
            self.className = className
            self.severity = severity
        }

        public var name: String { "\(part?.rawValue ?? "*") × \(className) × \(severity.rawValue)" }
    }

    public struct Price: Sendable, Equatable {
        /// In minor units of the matrix's currency.
        public var amount: Int
        /// Hundredths of an hour.
        public var labourHundredths: Int?
    }

    /// ISO 4217 code, three capital letters.
    public let currency: String
    public let prices: [Cell: Price]
    /// The version set through the API (`PUT /v1/costs`); nil for the matrix file's.
    public var version: Int?

    /// The largest amount one cell may hold: 1 000 000.00.
    public static let maxAmount = 100_000_000
    public static let classes: Set<String> = ["scratch", "dent", "crack", "glass_shatter", "lamp_broken", "tire_flat"]

    public init(currency: String, prices: [Cell: Price]) {
        self.currency = currency
        self.prices = prices
    }

    /// Why a matrix file was refused: every problem, each naming the entry and field.
    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public var problems: [String]
        public var description: String { "the cost matrix is invalid: " + problems.joined(separator: "; ") }

        public init(problems: [String]) {
            self.problems = problems
        }
    }

    /// Parses and validates a matrix; throws `Invalid` listing every problem found.
    public static func load(_ data: Data) throws -> CostMatrix {
        guard let object = try? JSONSerialization.jsonObject(with: data), let root = object as? [String: Any] else {
            throw Invalid(problems: ["not a JSON object"])
        }
        var problems: [String] = []
        let currency = root["currency"] as? String ?? ""
        if currency.count != 3 || !currency.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) }) {
            problems.append("currency must be a three-letter ISO 4217 code such as EUR")
        }
        guard let entries = root["entries"] as? [Any] else {
            throw Invalid(problems: problems + ["entries must be a list"])
        }
        if entries.count > 10_000 { problems.append("entries: at most 10000") }
        var prices: [Cell: Price] = [:]
        for (index, raw) in entries.prefix(10_000).enumerated() {
            let at = "entry \(index + 1)"
            guard let entry = raw as? [String: Any] else {
                problems.append("\(at): not an object")
                continue
            }
            let partText = entry["part"] as? String
            let part = partText.flatMap(CarPart.init(rawValue:))
            if partText != "*", part == nil { problems.append("\(at): part must be one of the documented parts or *") }
            let className = entry["class"] as? String ?? ""
            if !classes.contains(className) { problems.append("\(at): class must be one of \(classes.sorted().joined(separator: ", "))") }
            let severity = (entry["severity"] as? String).flatMap(Severity.init(rawValue:))
            if severity == nil { problems.append("\(at): severity must be minor, moderate or severe") }
            let amount = (entry["amount"] as? String).flatMap { hundredths($0, max: maxAmount) }
            if amount == nil { problems.append("\(at): amount must be a decimal string from 0 to 1000000.00 with at most two decimals") }
            var labour: Int?
            if let hours = entry["labour_hours"] {
                labour = (hours as? String).flatMap { hundredths($0, max: 100_000) }
                if labour == nil { problems.append("\(at): labour_hours must be a decimal string from 0 to 1000.00 with at most two decimals") }
            }
            guard let severity, let amount, partText == "*" || part != nil, classes.contains(className) else { continue }
            let cell = Cell(part: part, className: className, severity: severity)
            if prices[cell] != nil { problems.append("\(at): \(cell.name) is priced twice") }
            prices[cell] = Price(amount: amount, labourHundredths: labour)
        }
        guard problems.isEmpty else { throw Invalid(problems: problems) }
        return CostMatrix(currency: currency, prices: prices)
    }

    /// The matrix as a document `load` reads back to the same matrix: entries sorted by part
    /// (`*` first), class and severity, amounts with two decimals.
    public func document() -> Data {
        struct Document: Encodable {
            var currency: String
            var entries: [Entry]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(Document(currency: currency, entries: entries))) ?? Data()
    }

    /// One priced cell as the file writes it.
    public struct Entry: Sendable, Equatable, Codable {
        public var part: String
        public var className: String
        public var severity: Severity
        public var amount: String
        public var labourHours: String?

        enum CodingKeys: String, CodingKey {
            case part
            case className = "class"
            case severity
            case amount
            case labourHours = "labour_hours"
        }
    }

    /// The cells, sorted by part (`*` first), class and severity.
    public var entries: [Entry] {
        prices.sorted { ($0.key.part?.rawValue ?? "", $0.key.className, $0.key.severity) < ($1.key.part?.rawValue ?? "", $1.key.className, $1.key.severity) }
            .map { cell, price in
                Entry(
                    part: cell.part?.rawValue ?? "*", className: cell.className, severity: cell.severity, amount: Self.decimal(price.amount),
                    labourHours: price.labourHundredths.map(Self.decimal)
                )
            }
    }

    /// Hundredths as a decimal string with two decimals ("180.50").
    static func decimal(_ hundredths: Int) -> String {
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// A decimal string ("180", "180.5", "180.50") in hundredths, or nil when it is not one or above `max`.
    static func hundredths(_ text: String, max: Int) -> Int? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = parts.first, (1...9).contains(whole.count), whole.allSatisfy({ $0.isASCII && $0.isNumber }),
            let units = Int(whole), units >= 0
        else { return nil }
        var fraction = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard (1...2).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits) else { return nil }
            fraction = digits.count == 1 ? value * 10 : value
        }
        // At most 9 digits before the point: no overflow.
        let total = units * 100 + fraction
        return total <= max ? total : nil
    }

    /// The price of a damage: its part's own cell, else the `*` cell; nil when neither exists.
    public func price(part: CarPart?, className: String, severity: Severity) -> Price? {
        prices[Cell(part: part, className: className, severity: severity)] ?? prices[Cell(part: nil, className: className, severity: severity)]
    }

    /// The estimates of a report's `new` damages and their total.
    public func estimate(_ damages: [Damage]) -> CostEstimate {
        var lines: [CostEstimate.Line] = []
        for damage in damages where damage.status == .new {
            if let price = price(part: damage.part == .unknown ? nil : damage.part, className: damage.className, severity: damage.severity) {
                lines.append(.init(damage: damage.id, amountMinor: price.amount, labourHundredths: price.labourHundredths, noEstimate: nil))
            } else {
                let cell = Cell(part: damage.part, className: damage.className, severity: damage.severity)
                lines.append(.init(damage: damage.id, amountMinor: nil, labourHundredths: nil, noEstimate: "no price for \(cell.name)"))
            }
        }
        // Each amount is at most 1 000 000.00 and a report has at most a few hundred damages: no overflow.
        let total = lines.compactMap(\.amountMinor).reduce(0, +)
        return CostEstimate(currency: currency, totalMinor: total, lines: lines, matrixVersion: version)
    }
}

/// What a report's new damages would cost to repair, by the deployment's cost matrix.
public struct CostEstimate: Sendable, Equatable, Codable {
    public var currency: String
    /// The sum of the lines with an estimate, in minor units.
    public var totalMinor: Int
    public var lines: [Line]
    /// The cost matrix version that priced it (`GET /v1/costs`); nil: the matrix file's.
    public var matrixVersion: Int?

    public struct Line: Sendable, Equatable, Codable {
        public var damage: String
        public var amountMinor: Int?
        public var labourHundredths: Int?
        /// Why there is no estimate: the missing cell, named.
        public var noEstimate: String?
    }
}
