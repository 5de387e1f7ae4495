/// Tuning of the Nova notifier (issue 6). Defaults follow nova.md §1.8: about 1,200 compact events fit Nova's
/// 114,688-byte body limit, so a batch stops at 1,000 events or 108 KiB, whichever comes first.
public struct NovaNotifierConfiguration: Hashable, Sendable {
    /// `[oslo_middleware] max_request_body_size`: larger bodies get a 413 before Nova reads them.
    public static let novaBodyLimit = 114_688

    /// `[nova] send_power_notifications`; when false every queued event is dropped with a reason, never sent.
    public var enabled: Bool
    /// How long the first queued event waits for company before a request goes out.
    public var batchWindow: Duration
    /// While events keep arriving, a batch short of the caps waits window after window for them, up to this long:
    /// 10,000 changes that a sync pass records over a few seconds then fill 10 requests instead of trickling out.
    /// Equal to `batchWindow` (the default here; `[nova] batch_max_delay` sets 1 s): one window, no waiting for more.
    public var maxBatchDelay: Duration
    var fillsBatches: Bool { maxBatchDelay > batchWindow }
    public var maxEventsPerRequest: Int
    /// Kept 4 KiB under Nova's limit: a proxy in front of Nova may count headers or use a smaller limit.
    public var maxBodyBytes: Int
    /// Per-event 422 (instance has no host, maybe mid-build) and unknown per-event codes: attempts before dropping.
    public var maxNoHostRetries: Int
    /// First delay before a 422'd event is tried again; doubles per attempt up to `backOffCap`.
    public var noHostRetryDelay: Duration
    /// Whole-request failures back off exponentially from `backOffBase` to `backOffCap`, with jitter.
    public var backOffBase: Duration
    public var backOffCap: Duration
    /// Every request carries it: a hung Nova must not stall the notifier (Ironic's weakness W2).
    public var requestTimeout: Duration

    public init(
        enabled: Bool = true,
        batchWindow: Duration = .milliseconds(100),
        maxBatchDelay: Duration? = nil,
        maxEventsPerRequest: Int = 1_000,
        maxBodyBytes: Int = NovaNotifierConfiguration.novaBodyLimit - 4_096,
        maxNoHostRetries: Int = 5,
        noHostRetryDelay: Duration = .seconds(5),
        backOffBase: Duration = .seconds(1),
        backOffCap: Duration = .seconds(60),
        requestTimeout: Duration = .seconds(30)
    ) {
        self.enabled = enabled
        self.batchWindow = batchWindow
        self.maxBatchDelay = max(batchWindow, maxBatchDelay ?? batchWindow)
        // Clamp rather than trap: the config loader reports bad values, the machine must still make progress.
        self.maxEventsPerRequest = max(1, maxEventsPerRequest)
        self.maxBodyBytes = max(NovaEventBody.minimumBodyBytes, maxBodyBytes)
        self.maxNoHostRetries = max(0, maxNoHostRetries)
        self.noHostRetryDelay = max(.zero, noHostRetryDelay)
        self.backOffBase = max(.milliseconds(1), backOffBase)
        self.backOffCap = max(self.backOffBase, backOffCap)
        self.requestTimeout = max(.milliseconds(1), requestTimeout)
    }
}
