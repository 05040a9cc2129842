"""The metadata schema: SeisBench column names, written down once.

Every reader maps its own columns onto these names, so the rest of seislearn
works on one vocabulary. Columns not listed here are kept as they are.
"""

from __future__ import annotations

from typing import Final

TRACE_NAME: Final = "trace_name"
SAMPLING_RATE: Final = "trace_sampling_rate_hz"
START_TIME: Final = "trace_start_time"
P_ARRIVAL: Final = "trace_p_arrival_sample"
S_ARRIVAL: Final = "trace_s_arrival_sample"
SNR_DB: Final = "trace_snr_db"
COMPONENT_ORDER: Final = "trace_component_order"
#: Names of the channels really recorded (e.g. "Z" for a vertical-only trace), so zeroed
#: channels are not mistaken for signal.
AVAILABLE_COMPONENTS: Final = "trace_available_components"
CATEGORY: Final = "trace_category"
SOURCE_ID: Final = "source_id"
SOURCE_ORIGIN_TIME: Final = "source_origin_time"
SOURCE_LATITUDE: Final = "source_latitude_deg"
SOURCE_LONGITUDE: Final = "source_longitude_deg"
SOURCE_DEPTH: Final = "source_depth_km"
SOURCE_MAGNITUDE: Final = "source_magnitude"
STATION_NETWORK: Final = "station_network_code"
STATION_CODE: Final = "station_code"
STATION_LATITUDE: Final = "station_latitude_deg"
STATION_LONGITUDE: Final = "station_longitude_deg"
STATION_ELEVATION: Final = "station_elevation_m"
BACK_AZIMUTH: Final = "path_back_azimuth_deg"
INCIDENCE: Final = "path_incidence_deg"
EP_DISTANCE: Final = "path_ep_distance_km"
SPLIT: Final = "split"

SPLITS: Final = ("train", "dev", "test")

#: Columns with a physical range, used by the checks: name -> (min, max).
VALUE_RANGES: Final[dict[str, tuple[float, float]]] = {
    SOURCE_LATITUDE: (-90.0, 90.0),
    STATION_LATITUDE: (-90.0, 90.0),
    SOURCE_LONGITUDE: (-180.0, 360.0),
    STATION_LONGITUDE: (-180.0, 360.0),
    BACK_AZIMUTH: (0.0, 360.0),
    INCIDENCE: (0.0, 180.0),
    EP_DISTANCE: (0.0, 20040.0),
    SOURCE_MAGNITUDE: (-3.0, 10.0),
    SOURCE_DEPTH: (-10.0, 800.0),
    SAMPLING_RATE: (0.0, 1e6),
}
