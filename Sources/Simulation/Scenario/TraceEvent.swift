/// One line of a scenario trace. A run's trace is the sequence of these in the order they happened, encoded one
/// JSON object per line with keys in a fixed order, so equal runs give byte-identical files.
///
/// Lanes name components: `scenario`, `controller`, `notifier`, `node:<name>`, `bmc:<name>`, `nova-api`,
/// `nova-compute:<host>`, `nova-sync`. A message is a `send` and a later `receive` with the same `id` (an arrow
/// from `lane` to `peer`); a message that was lost has a `drop` instead of a `receive`.
public struct TraceEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case step, send, receive, drop, state, note, violation
    }

    /// Virtual time in microseconds since the start of the run.
    public var at: Int64
    public var kind: Kind
    public var lane: String
    /// The other end of a message (send/receive/drop); empty otherwise.
    public var peer: String
    /// Message id linking send and receive/drop; empty otherwise.
    public var id: String
    /// What happened, for humans (e.g. "Chassis Control: power on", "power on → power off").
    public var label: String
    /// For violations, the invariant's name; empty otherwise.
    public var invariant: String

    public init(at: Int64, kind: Kind, lane: String, peer: String = "", id: String = "", label: String,
                invariant: String = "") {
        self.at = at
        self.kind = kind
        self.lane = lane
        self.peer = peer
        self.id = id
        self.label = label
        self.invariant = invariant
    }

    /// `{"at":…,"kind":"…","lane":"…","peer":"…","id":"…","label":"…","invariant":"…"}` with JSON escaping.
    public var jsonLine: String {
        "{\"at\":\(at),\"kind\":\(Self.quoted(kind.rawValue)),\"lane\":\(Self.quoted(lane)),\"peer\":\(Self.quoted(peer)),"
            + "\"id\":\(Self.quoted(id)),\"label\":\(Self.quoted(label)),\"invariant\":\(Self.quoted(invariant))}"
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
