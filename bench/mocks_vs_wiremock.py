"""Every mock next to WireMock stubs of the same calls, in one run: each pair back to back.

Runs bench/erp_vs_wiremock.py, wms_vs_wiremock.py and carrier_vs_wiremock.py (and, with
``--systems``, salesforce_vs_wiremock.py) with the same options, one system after the other, and
writes each system's bench/results/<system>.md.

    .venv/bin/python bench/mocks_vs_wiremock.py [--systems erp,wms,carrier] [--requests 20000] [--seconds 30]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mock_systems import SYSTEMS
from peer import command_line, compare, parser, write_result


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--systems", default="erp,wms,carrier", help=f"comma-separated, of {', '.join(SYSTEMS)}")
    args = p.parse_args()
    chosen = [SYSTEMS[name] for name in args.systems.split(",")]
    command = command_line(__file__, args) + f" --systems {args.systems}"
    summary = []
    for system in chosen:
        mock, wiremock, load = compare(system, args)
        out = write_result(system, args, command, mock, wiremock, load)
        summary.append(f"{system.name}: {mock['rps']:.0f} vs {wiremock['rps']:.0f} req/s ({out.name})")
        print(summary[-1], flush=True)
    print("\n".join(summary))


if __name__ == "__main__":
    main()
