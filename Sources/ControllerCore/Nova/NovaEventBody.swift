/// The exact request body, hand-encoded so the size cap is measured on the bytes that go on the wire:
/// `{"events":[{"name":"power-update","server_uuid":"…","tag":"POWER_ON"},…]}`, compact, no `status` (nova.md §1.2).
public enum NovaEventBody {
    static let prefix = Array(#"{"events":["#.utf8)
    static let suffix = Array("]}".utf8)

    /// The largest one-event body with a canonical uuid: a cap below it could never send anything.
    public static let minimumBodyBytes = prefix.count + suffix.count
        + encode(NovaPowerUpdate(serverUUID: String(repeating: "0", count: 36), tag: .powerOff, at: .epoch)).count

    /// One event object, without separators.
    public static func encode(_ update: NovaPowerUpdate) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(96)
        out += #"{"name":"power-update","server_uuid":"#.utf8
        appendString(update.serverUUID, to: &out)
        out += #","tag":"#.utf8
        appendString(update.tag.rawValue, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Joins already-encoded events into a body.
    public static func body(_ encodedEvents: some Sequence<[UInt8]>) -> [UInt8] {
        var out = prefix
        var first = true
        for event in encodedEvents {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out += event
        }
        return out + suffix
    }

    public static func body(_ updates: [NovaPowerUpdate]) -> [UInt8] { body(updates.lazy.map(encode)) }

    /// Size of a body holding events of these encoded sizes, without building it.
    static func size(eventBytes: Int, count: Int) -> Int {
        prefix.count + suffix.count + eventBytes + max(0, count - 1)
    }

    /// A JSON string literal; uuids and tags never need escaping, but a hand-edited instance uuid might.
    static func appendString(_ string: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x00..<0x20: out += Array(#"\u00"#.utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            default: out.append(byte)  // UTF-8 passes through: JSON text is UTF-8
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
