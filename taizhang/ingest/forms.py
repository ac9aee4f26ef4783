from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from taizhang.core.imports import MAX_FILE_BYTES


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"))

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than 50 MB; split it into several files.")
            )
        if not upload.name.lower().endswith((".xlsx", ".xlsm", ".xls")):
            raise forms.ValidationError(_("Upload an Excel .xlsx file."))
        return upload
