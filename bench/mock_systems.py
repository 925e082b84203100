"""Every mock the benchmarks drive, by name, for the scripts that take ``--systems``."""

from __future__ import annotations

import carrier_vs_wiremock
import erp_vs_wiremock
import salesforce_vs_wiremock
import wms_vs_wiremock

SYSTEMS = {
    system.name: system
    for system in (
        erp_vs_wiremock.SYSTEM,
        wms_vs_wiremock.SYSTEM,
        carrier_vs_wiremock.SYSTEM,
        salesforce_vs_wiremock.SYSTEM,
    )
}
