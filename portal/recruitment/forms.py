from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length


class CampaignUploadForm(FlaskForm):
    name = StringField(_l("Campaign name"), validators=[DataRequired(_l("Name the campaign.")), Length(max=200)])
    file = FileField(_l("CSV or XLSX file"), validators=[FileRequired(_l("Choose a file."))],
                     description=_l("Columns: INN, Company, Region, Contact, Email, and optionally Group (a group's "
                                    "name) and Language (ru or en)."))


class ConfirmCampaignForm(FlaskForm):
    token = HiddenField()
    name = HiddenField()
