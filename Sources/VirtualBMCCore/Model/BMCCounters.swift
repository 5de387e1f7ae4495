/// What one virtual BMC has seen and done, for the management API. Plain integers: cheap to keep 10,000 of.
public struct BMCCounters: Sendable, Hashable, Codable {
    /// Datagrams received, whatever became of them.
    public var datagramsIn = 0
    /// Replies handed to the shell (each one is sent after its `Reply.delay`).
    public var datagramsOut = 0
    /// Thrown away by the packet-loss or dead faults before the BMC looked at them.
    public var dropped = 0
    /// Looked at and set aside by the session layer: malformed, unauthenticated, replayed, unknown session.
    public var ignored = 0
    /// Handshakes completed: a new session became active.
    public var sessionsOpened = 0
    /// Session set-up messages answered with a non-zero RMCP+ status (table full, unknown user, bad suite, ...).
    public var setupRefusals = 0
    /// Sessions dropped for being idle or left half-open (by the periodic sweep or when Open Session made room).
    public var sessionsExpired = 0
    /// In-session commands for the chassis, busy answers included.
    public var commands = 0
    /// Commands answered with completion code C0 by the busy fault.
    public var busyReplies = 0
    /// Chassis Control commands the stuck-power fault accepted without acting on them.
    public var stuckControls = 0
    /// Power flips made by the flapping fault.
    public var flaps = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case datagramsIn = "datagrams_in", datagramsOut = "datagrams_out", dropped, ignored
        case sessionsOpened = "sessions_opened", setupRefusals = "setup_refusals", sessionsExpired = "sessions_expired"
        case commands, busyReplies = "busy_replies", stuckControls = "stuck_controls", flaps
    }
}
