"""Evidence around a hit: self-verifying packages, captured media files, the deletion watch.

- :mod:`monitor.evidence.package` builds the zip of one hit (post JSON as stored, parent,
  revisions, media, ``manifest.json``, an Indonesian README);
- :mod:`monitor.evidence.verify` re-hashes a package and checks it against its manifest;
- :mod:`monitor.evidence.media` finds media links in stored payloads and downloads them;
- :mod:`monitor.evidence.watch` re-checks posts behind open or confirmed hits (deleted / edited).
"""

from monitor.evidence.paths import media_dir

__all__ = ["media_dir"]
