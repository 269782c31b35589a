import Foundation

/// The languages reports are written in.
public enum ReportLanguage: String, Sendable, Codable, CaseIterable {
    case en, de, fr, es, it, nl

    /// The language's own name (what the LLM is told to write in).
    public var name: String {
        switch self {
        case .en: "English"
        case .de: "German"
        case .fr: "French"
        case .es: "Spanish"
        case .it: "Italian"
        case .nl: "Dutch"
        }
    }

    /// The most preferred supported language of an `Accept-Language` header (RFC 9110: tags
    /// with optional `q` weights; `de-AT` counts as `de`; `q=0` refuses); nil when it names none.
    public static func preferred(acceptLanguage header: String) -> ReportLanguage? {
        var best: (language: ReportLanguage, weight: Double, position: Int)?
        for (position, item) in header.split(separator: ",").prefix(32).enumerated() {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = parts.first, !tag.isEmpty, tag.count <= 35 else { continue }
            let primary = tag.split(separator: "-").first.map { $0.lowercased() } ?? ""
            guard let language = ReportLanguage(rawValue: primary) else { continue }
            var weight = 1.0
            for parameter in parts.dropFirst() where parameter.lowercased().hasPrefix("q=") {
                guard let value = Double(parameter.dropFirst(2)), value.isFinite, (0...1).contains(value) else { weight = 0; break }
                weight = value
            }
            guard weight > 0 else { continue }
            if best == nil || weight > best!.weight { best = (language, weight, position) }
        }
        return best?.language
    }
}

/// Which language each station's reports are written in: a default, and stations that differ.
public struct ReportLanguages: Sendable, Equatable {
    public var fallback: ReportLanguage
    public var stations: [String: ReportLanguage]

    public init(fallback: ReportLanguage = .en, stations: [String: ReportLanguage] = [:]) {
        self.fallback = fallback
        self.stations = stations
    }

    public func language(for station: String) -> ReportLanguage { stations[station] ?? fallback }

    /// `MUC-01=de,PAR-01=fr`: the stations and their languages, and what is wrong with the text.
    public static func parseStations(_ text: String) -> (stations: [String: ReportLanguage], problems: [String]) {
        var stations: [String: ReportLanguage] = [:]
        var problems: [String] = []
        for entry in text.split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, let language = ReportLanguage(rawValue: parts[1].lowercased()) else {
                problems.append(
                    "WALKAROUND_STATION_LANGUAGES entry \"\(entry.prefix(80))\" is not STATION=LANGUAGE with one of \(ReportLanguage.allCases.map(\.rawValue).joined(separator: ", "))"
                )
                continue
            }
            stations[parts[0]] = language
        }
        return (stations, problems)
    }
}
