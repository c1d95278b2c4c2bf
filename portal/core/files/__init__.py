"""Uploaded documents and photos: accepted by content, cleaned, sealed, stored, served to the allowed.

Built once here, for every module that takes files (hardship aid first: its documents, visit
photos and replies).

* **What is accepted** — JPEG, PNG, HEIC/HEIF (iPhone photos) and PDF, recognised by their first
  bytes (``images.sniff``), never by the name or the Content-Type the browser sent. At most
  UPLOAD_MAX_BYTES per file and UPLOAD_MAX_FILES per application and purpose.
* **What is kept** — images are decoded and encoded again (``images``): upright, sRGB, no EXIF
  (GPS), no XMP, no comments, nothing appended; HEIC becomes JPEG, PNG stays PNG; a thumbnail
  (JPEG) beside each. PDFs are kept as sent. Decompression bombs are refused from the header.
* **How it is kept** — sealed with a per-file key in 64 KiB AES-GCM chunks (``sealed``), under a
  random key, in ``storage`` (a directory outside the web root by default, an object store for
  several servers). The row (``StoredFile``) holds the wrapped key and the sniffed type.
* **How it is served** — ``load_file`` within an application the caller loaded in scope;
  ``send`` streams it decrypted with headers that keep a browser from treating it as a page,
  and writes ``file.viewed`` to the audit trail whenever the viewer is not the uploader.

Use from a module::

    from portal.core import files

    @bp.post("/aid/<public_id>/documents")
    @login_required
    @files.allow_large_upload                      # the request may carry several files
    def add_documents(public_id):
        application = …load in scope…
        files.accept_uploads(request.files.getlist("documents"), owner=current_user,
                             purpose="document", application=application, label=form.label.data)
        db.session.commit()

``accept_uploads`` does the slow work before it writes; call it before the request's first write.
"""

from __future__ import annotations

from portal.core.files import images, sealed
from portal.core.files.cleanup import sweep_orphans
from portal.core.files.models import CONTENT_TYPES, PURPOSES, StoredFile, format_size
from portal.core.files.serving import content_disposition, delete, files_of, load_file, record_view, send
from portal.core.files.storage import LocalStorage, Storage, get_storage, set_storage
from portal.core.files.uploads import (
    PreparedUpload,
    accept_uploads,
    allow_large_upload,
    commit_with_uploads,
    count_files,
    discard,
    display_name,
    prepare_upload,
    prepare_uploads,
    record_upload,
)

__all__ = [
    "CONTENT_TYPES",
    "PURPOSES",
    "accept_uploads",
    "allow_large_upload",
    "commit_with_uploads",
    "content_disposition",
    "count_files",
    "delete",
    "discard",
    "display_name",
    "files_of",
    "format_size",
    "get_storage",
    "images",
    "init_app",
    "load_file",
    "LocalStorage",
    "prepare_upload",
    "prepare_uploads",
    "record_view",
    "PreparedUpload",
    "record_upload",
    "sealed",
    "send",
    "set_storage",
    "Storage",
    "StoredFile",
    "sweep_orphans",
]


def init_app(app) -> None:
    from portal.core import jobs
    from portal.core.files.storage import check_outside_web_root
    from portal.core.files.uploads import apply_request_limit

    check_outside_web_root(app)
    # Runs before every before_request function (the CSRF and control-character checks read the
    # form): the larger body limit of an upload view must already be in place then.
    app.url_value_preprocessor(apply_request_limit)
    app.add_template_filter(format_size, "filesize")
    jobs.register_job("files.sweep_orphans", sweep_orphans)
