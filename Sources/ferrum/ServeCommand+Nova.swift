import ArgumentParser
import Controller
import ControllerCore
import Foundation
import Logging

extension Serve {
    /// The Nova notifier when `[nova]` asks for one; nil (events stay pending in the outbox) otherwise.
    func novaNotifier(_ nova: ControllerConfiguration.Nova, store: any ControllerStore, logger: Logger,
                      metrics: ControllerMetrics, doorbell: OutboxDoorbell) throws -> NovaNotifier? {
        guard nova.sendPowerNotifications else { return nil }
        let auth: NovaAuth?
        do {
            auth = try NovaAuth(nova)
        } catch {
            throw ValidationError(error.description)
        }
        guard let auth else {
            logger.warning("[nova] auth_type is not set: power changes stay queued for Nova until it is")
            return nil
        }
        if let cafile = nova.cafile {
            guard FileManager.default.isReadableFile(atPath: cafile) else { throw ValidationError("[nova] cafile \(cafile) cannot be read") }
            logger.info("Nova and Keystone certificates are checked against [nova] cafile (through curl)",
                        metadata: ["cafile": "\(cafile)"])
        }
        return NovaNotifier(store: store, client: URLSessionNovaClient(auth: auth, cafile: nova.cafile),
                            configuration: NovaNotifierConfiguration(nova),
                            logger: logger, metrics: metrics, doorbell: doorbell)
    }

    /// The loop that releases power-state holds once Nova shows their events applied; nil unless
    /// `hold_power_state_until_applied` (which the loader allows only with a notifier).
    func novaHoldConfirmer(_ nova: ControllerConfiguration.Nova, controller: PowerController,
                           logger: Logger) throws -> NovaPowerStateConfirmer? {
        guard nova.holdPowerStateUntilApplied, let auth = try? NovaAuth(nova) else { return nil }
        logger.info("Nova's reads of a node see the power state Nova last agreed with until it applies the event",
                    metadata: ["hold_maximum": "\(nova.holdMaximum)", "nova_api_users": "\(nova.novaAPIUsers)"])
        return NovaPowerStateConfirmer(holds: controller.novaHolds, client: URLSessionNovaClient(auth: auth, cafile: nova.cafile),
                                       logger: logger)
    }
}
