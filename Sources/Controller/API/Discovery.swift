/// `GET /` and `GET /v1` (ironic.md A2, A3): how keystoneauth and the clients learn the microversion range.
enum Discovery {
    static func version(_ baseURL: String) -> [String: Any] {
        ["id": "v1", "links": [["href": "\(baseURL)/v1/", "rel": "self"]], "status": "CURRENT",
         "min_version": APIVersion.minimum.description, "version": APIVersion.maximum.description]
    }

    static func root(_ baseURL: String) -> [String: Any] {
        ["name": "OpenStack Ironic API",
         "description": "Ferrum: power control for bare-metal fleets, speaking the subset of Ironic's API that power management needs.",
         "default_version": version(baseURL), "versions": [version(baseURL)]]
    }

    static func v1(_ baseURL: String) -> [String: Any] {
        ["id": "v1",
         "links": [["href": "\(baseURL)/v1/", "rel": "self"]],
         "media_types": ["base": "application/json", "type": "application/vnd.openstack.ironic.v1+json"],
         "nodes": NodeFields.links(baseURL, "nodes"),
         "version": version(baseURL)]
    }
}
