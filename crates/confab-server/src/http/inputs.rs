//! Typed inputs several resources read the same way: a provider, a phone number, an
//! attached file. Errors name the parameter.

use confab_wire::Provider;
use confab_wire::limits::{MAX_PHONE_CHARS, MAX_PROVIDER_NAME_CHARS, MAX_URL_CHARS};

use super::error::{ApiError, ApiResult};
use super::params::Params;
use crate::app::FileSource;
use crate::domain::contact::normalize_phone;

/// Parses a provider parameter; unknown names are a 400 naming `provider`.
pub fn provider_param(params: &Params) -> ApiResult<Provider> {
    let name = params.required_str_max("provider", MAX_PROVIDER_NAME_CHARS)?;
    name.parse::<Provider>().map_err(|_| {
        ApiError::invalid(
            "provider",
            format!(
                "unknown provider {name:?}; known: {}",
                Provider::ALL.map(Provider::as_str).join(", ")
            ),
        )
    })
}

/// A `phone` parameter in the documented form, normalised to digits.
pub fn phone_param(params: &Params) -> ApiResult<Option<String>> {
    params
        .optional_str_max("phone", MAX_PHONE_CHARS)?
        .map(|p| normalize_phone(&p).map_err(|why| ApiError::invalid("phone", why)))
        .transpose()
}

/// The file a request carries: an uploaded `file` part or a `file_url` to fetch (exactly
/// one), or `None` when it carries neither.
pub fn incoming_file(params: &mut Params) -> ApiResult<Option<FileSource>> {
    let file = params.take_file("file");
    let url = params
        .optional_str_max("file_url", MAX_URL_CHARS)?
        .filter(|u| !u.trim().is_empty());
    match (file, url) {
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "file",
            "give either file or file_url, not both",
        )),
        (None, None) if params.has("file") => Err(ApiError::invalid(
            "file",
            "must be uploaded as a multipart/form-data file part",
        )),
        (None, None) => Ok(None),
        (Some(file), None) => Ok(Some(FileSource::Spooled {
            file_name: file.file_name,
            content_type: file.content_type,
            size: file.size,
            path: file.path,
        })),
        (None, Some(url)) => Ok(Some(FileSource::Url(url))),
    }
}
