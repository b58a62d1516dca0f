"""nianbao: verified, structured data from 政府信息公开工作年度报告.

    from extractor import extract_path
    result = extract_path("report.pdf")
    result.tables["applications"]["new_received"]["total"]
"""

from .version import RELEASE as __version__
from .config import Config, load_config
from .models import Result, Status
from .llm.health import EndpointHealth
from .pipeline import extract, extract_document, extract_path, extract_text
from .version import pipeline_version

__all__ = ["__version__", "Config", "EndpointHealth", "Result", "Status", "extract", "extract_document", "extract_path",
           "extract_text", "load_config", "pipeline_version"]
