import Foundation

/// A labelled span of a generated text: an entity (`type` is an EntityType name) or a decoy that must
/// survive (`type` is DATE, VERSION, PRICE, ORDER_NUMBER, TIME or INVOICE_NUMBER). UTF-8 byte offsets.
public struct LabelledSpan: Sendable, Equatable {
    public var start: Int
    public var end: Int
    public var type: String
    public var isDecoy: Bool
}

/// One string value of a record with its labels.
public struct LabelledText: Sendable {
    public var text: String
    public var spans: [LabelledSpan]
}

public struct LabelledRecord: Sendable {
    /// The record as one JSONL line (no newline).
    public var jsonLine: String
    /// The string values that carry labels (other strings, such as roles, carry none).
    public var texts: [LabelledText]
    public var language: String
}

/// Which half of the templates to draw from (see CorpusTemplates).
public enum CorpusSplit: String, Sendable {
    case tuning, evaluation
}

/// A seeded generator of labelled records in English, German, French and Chinese, as plain text records
/// (`{"id", "text", "lang"}`) and chat records (`{"messages": [...], "meta": {...}}`). A quarter of the
/// records escape every non-ASCII character as `\uXXXX`, as Python's json.dumps does by default.
public struct LabelledCorpusGenerator {
    private var values: CorpusValues
    private let templates: [String: [String]]
    private var id = 0

    public init(seed: UInt64, split: CorpusSplit) {
        values = CorpusValues(rng: SplitMix(seed: seed))
        templates = split == .tuning ? CorpusTemplates.tuning : CorpusTemplates.evaluation
    }

    public mutating func next() -> LabelledRecord {
        id += 1
        let language = values.pick(["en", "en", "de", "fr", "zh"])
        let asciiOnly = values.chance(0.25)
        if values.chance(0.5) {
            let text = paragraph(language)
            let line = "{\"id\": \(id), \"text\": \(Self.jsonString(text.text, asciiOnly: asciiOnly)), \"lang\": \"\(language)\"}"
            return LabelledRecord(jsonLine: line, texts: [text], language: language)
        }
        let user = paragraph(language), assistant = paragraph(language)
        let system = values.pick(CorpusTemplates.systemPrompts)
        var line = "{\"messages\": [{\"role\": \"system\", \"content\": \(Self.jsonString(system, asciiOnly: asciiOnly))}, "
        line += "{\"role\": \"user\", \"content\": \(Self.jsonString(user.text, asciiOnly: asciiOnly))}, "
        line += "{\"role\": \"assistant\", \"content\": \(Self.jsonString(assistant.text, asciiOnly: asciiOnly))}], "
        line += "\"meta\": {\"source\": \"support\", \"turns\": 2, \"score\": \(String(format: "%.2f", Double(values.int(0...100)) / 100)), \"reviewed\": \(values.chance(0.5))}}"
        return LabelledRecord(jsonLine: line, texts: [LabelledText(text: system, spans: []), user, assistant], language: language)
    }

    /// One to four sentences, about half of them fillers.
    private mutating func paragraph(_ language: String) -> LabelledText {
        var text = ""
        var spans: [LabelledSpan] = []
        for k in 0..<values.int(1...4) {
            if k > 0 { text += language == "zh" ? "" : " " }
            if values.chance(0.45) {
                text += values.pick(CorpusTemplates.fillers[language]!)
            } else {
                fill(values.pick(templates[language]!), language: language, into: &text, spans: &spans)
            }
        }
        return LabelledText(text: text, spans: spans)
    }

    private mutating func fill(_ template: String, language: String, into text: inout String, spans: inout [LabelledSpan]) {
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            text += rest[..<open]
            let slot = String(rest[rest.index(after: open)..<close])
            rest = rest[rest.index(after: close)...]
            let base = text.utf8.count
            var value = ""
            var label: (offset: Int, length: Int, type: String, decoy: Bool)?
            func entity(_ type: EntityType) { label = (0, value.utf8.count, type.name, false) }
            func decoy(_ type: String) { label = (0, value.utf8.count, type, true) }
            switch slot {
            case "EMAIL": value = values.email(); entity(.email)
            case "PHONE": value = values.phone(language: language); entity(.phone)
            case "CARD": value = values.card(); entity(.creditCard)
            case "IBAN": value = values.iban(); entity(.iban)
            case "SSN": value = values.ssn(); entity(.usSSN)
            case "CNID": value = values.cnID(); entity(.cnID)
            case "NINO": value = values.nino(); entity(.ukNINO)
            case "AADHAAR": value = values.aadhaar(); entity(.inAadhaar)
            case "IPV4": value = values.ipv4(); entity(.ipv4)
            case "IPV6": value = values.ipv6(); entity(.ipv6)
            case "MAC": value = values.mac(); entity(.mac)
            case "SECRET": value = values.secret(); entity(.secret)
            case "PERSON":
                value = values.person(language: language)
                let skip = CorpusValues.personLabelOffset(value)
                label = (skip, value.utf8.count - skip, EntityType.person.name, false)
            case "URLCRED":
                let (url, offset, length) = values.urlWithCredentials()
                value = url
                label = (offset, length, EntityType.urlCredential.name, false)
            case "ASSIGN":
                let (assignment, offset, length) = values.assignment()
                value = assignment
                label = (offset, length, EntityType.secret.name, false)
            case "DATE": value = values.date(language: language); decoy("DATE")
            case "VERSION": value = values.version(); decoy("VERSION")
            case "PRICE": value = values.price(language: language); decoy("PRICE")
            case "ORDER": value = values.orderNumber(); decoy("ORDER_NUMBER")
            case "TIME": value = values.time(language: language); decoy("TIME")
            case "INVOICE": value = values.invoiceNumber(); decoy("INVOICE_NUMBER")
            default: value = slot
            }
            text += value
            if let l = label {
                spans.append(LabelledSpan(start: base + l.offset, end: base + l.offset + l.length, type: l.type, isDecoy: l.decoy))
            }
        }
        text += rest
    }

    /// A JSON string literal; with `asciiOnly`, every non-ASCII character as `\uXXXX` (surrogate pairs above
    /// U+FFFF).
    public static func jsonString(_ s: String, asciiOnly: Bool) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else if asciiOnly && scalar.value >= 0x80 {
                    for unit in String(scalar).utf16 { out += String(format: "\\u%04x", unit) }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
