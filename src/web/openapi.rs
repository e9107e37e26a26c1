//! The API described as OpenAPI 3.1 (`GET /api/v1/openapi.json`), generated from the
//! handlers' types: every API route is registered through [`ApiRoutes`], which keeps a
//! function that asks the handler's extractors what it takes and its answer type what it
//! gives (aide's `OperationInput`/`OperationOutput`, schemas by schemars). The route table
//! adds what the registration knows: the path's ids, who may call it (401/403), the tag.
//! A test checks that every `/api/v1` route is in the document with a documented answer.

use std::marker::PhantomData;
use std::sync::OnceLock;

use aide::generate::{GenContext, in_context};
use aide::openapi::{
    self, ApiKeyLocation, Components, Header, Info, MediaType, OpenApi, Operation, Parameter,
    ParameterData, ParameterSchemaOrContent, PathItem, ReferenceOr, RequestBody, Response,
    SchemaObject, SecurityScheme, Server, StatusCode as DocStatus, Tag,
};
use aide::operation::{OperationHandler, OperationInput, OperationOutput};
use axum::handler::Handler;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};
use indexmap::IndexMap;
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Serialize;

use super::AppState;
use super::auth::{Access, RouteInfo, Routes};
use crate::error::{AppError, ErrorBody};

/// The API's prefix; the document's paths are relative to it (its one server).
pub const API_PREFIX: &str = "/api/v1";

/// Two schema generators: what the API reads follows serde's deserialising rules (a field
/// with a default may be left out), what it writes follows the serialising ones (a field
/// skipped when empty may be missing).
pub struct Generators {
    request: SchemaGenerator,
    response: SchemaGenerator,
}

impl Generators {
    fn new() -> Self {
        let settings = SchemaSettings::draft2020_12().with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.inline_subschemas = false;
        });
        Generators {
            request: settings.clone().for_deserialize().into_generator(),
            response: settings.for_serialize().into_generator(),
        }
    }
}

/// Makes a route's operation (without what the route table adds).
pub type OperationFn = fn(&mut Generators) -> Operation;

fn operation<I: OperationInput, O: OperationOutput>(generators: &mut Generators) -> Operation {
    let mut operation = Operation::default();
    let responses = in_context(|ctx| {
        std::mem::swap(&mut ctx.schema, &mut generators.request);
        I::operation_input(ctx, &mut operation);
        std::mem::swap(&mut ctx.schema, &mut generators.request);
        std::mem::swap(&mut ctx.schema, &mut generators.response);
        let mut responses = O::inferred_responses(ctx, &mut operation);
        // An extractor's refusal wins over the handler's answer for the same status: the
        // request never reaches the handler.
        responses.extend(I::inferred_early_responses(ctx, &mut operation));
        std::mem::swap(&mut ctx.schema, &mut generators.response);
        responses
    });
    for (status, response) in responses {
        set_response(&mut operation, status, response);
    }
    operation
}

fn set_response(operation: &mut Operation, status: Option<u16>, response: Response) {
    let responses = operation.responses.get_or_insert_with(Default::default);
    match status {
        Some(code) => {
            responses
                .responses
                .insert(DocStatus::Code(code), ReferenceOr::Item(response));
        }
        None => responses.default = Some(ReferenceOr::Item(response)),
    }
}

/// The API's routes: like [`Routes`], but each handler's types must describe themselves,
/// so that no route can be added to the API without being in its document.
#[derive(Default)]
pub struct ApiRoutes(Routes);

macro_rules! documented_methods {
    ($($name:ident => $method:ident),*) => {
        $(
            pub fn $name<H, T, I, O>(self, path: &'static str, access: Access, handler: H) -> Self
            where
                H: Handler<T, AppState> + OperationHandler<I, O>,
                T: 'static,
                I: OperationInput,
                O: OperationOutput,
            {
                ApiRoutes(self.0.add(
                    Method::$method,
                    path,
                    access,
                    axum::routing::on(axum::routing::MethodFilter::$method, handler),
                    Some(operation::<I, O> as OperationFn),
                ))
            }
        )*
    };
}

impl ApiRoutes {
    documented_methods!(get => GET, post => POST, put => PUT, delete => DELETE);

    /// What the route added last does, in one line: the document's summary.
    pub fn describe(self, summary: &'static str) -> Self {
        ApiRoutes(self.0.describe_last(summary))
    }

    pub fn merge(self, other: ApiRoutes) -> Self {
        ApiRoutes(self.0.merge(other.0))
    }
}

impl From<ApiRoutes> for Routes {
    fn from(routes: ApiRoutes) -> Self {
        routes.0
    }
}

/// The document for the API routes in `table` (paths under [`API_PREFIX`]).
pub fn document(table: &[RouteInfo]) -> OpenApi {
    let mut generators = Generators::new();
    let mut paths: IndexMap<String, PathItem> = IndexMap::new();
    let mut tags: Vec<String> = Vec::new();
    for route in table {
        let (Some(make), Some(path)) = (route.operation, route.path.strip_prefix(API_PREFIX))
        else {
            continue;
        };
        let mut operation = make(&mut generators);
        let tag = tag_of(path);
        if !tags.contains(&tag) {
            tags.push(tag.clone());
        }
        operation.tags = vec![tag];
        operation.summary = route.summary.map(str::to_string);
        operation.operation_id = Some(operation_id(&route.method, path));
        add_path_ids(&mut operation, path, &mut generators);
        add_access(&mut operation, route.access, &mut generators.response);
        let item = paths.entry(path.to_string()).or_default();
        let slot = match route.method {
            Method::GET => &mut item.get,
            Method::POST => &mut item.post,
            Method::PUT => &mut item.put,
            Method::DELETE => &mut item.delete,
            _ => continue,
        };
        *slot = Some(operation);
    }
    let schemas = merge_definitions(&mut generators, &mut paths);
    OpenApi {
        info: Info {
            title: "tilskudd API".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: Some(
                "Tilskuddsforvaltning for Statsforvalteren: runder, søknader, vurdering, \
                 tildeling, vedtak, oppfølging og statistikk. Beløp er desimaltall som tekst i \
                 kroner (\"13914871\", \"125000.50\"). Feil svarer med `message` på norsk og, \
                 ved 422, `errors` med ett felt per problem. Skriving med sesjonskapsel krever \
                 `Origin`-header fra samme opprinnelse; med API-nøkkel (`Authorization: Bearer`) \
                 trengs den ikke."
                    .into(),
            ),
            ..Default::default()
        },
        servers: vec![Server {
            url: API_PREFIX.into(),
            ..Default::default()
        }],
        paths: Some(openapi::Paths {
            paths: paths
                .into_iter()
                .map(|(path, item)| (path, ReferenceOr::Item(item)))
                .collect(),
            ..Default::default()
        }),
        components: Some(Components {
            schemas,
            security_schemes: IndexMap::from_iter([
                (
                    "api_token".to_string(),
                    ReferenceOr::Item(SecurityScheme::Http {
                        scheme: "bearer".into(),
                        bearer_format: Some("tsk_…".into()),
                        description: Some(
                            "Personlig API-nøkkel, laget under «Min side» eller med POST /me/tokens."
                                .into(),
                        ),
                        extensions: Default::default(),
                    }),
                ),
                (
                    "session".to_string(),
                    ReferenceOr::Item(SecurityScheme::ApiKey {
                        location: ApiKeyLocation::Cookie,
                        name: super::auth::SESSION_COOKIE.into(),
                        description: Some("Sesjonskapselen fra POST /session.".into()),
                        extensions: Default::default(),
                    }),
                ),
            ]),
            ..Default::default()
        }),
        tags: tags
            .into_iter()
            .map(|name| Tag {
                name,
                ..Default::default()
            })
            .collect(),
        ..OpenApi::default()
    }
}

/// The document as served: made once, from the same route table the server routes by.
pub fn document_json() -> &'static [u8] {
    static DOCUMENT: OnceLock<Vec<u8>> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        serde_json::to_vec(&document(&super::route_table())).unwrap_or_else(|err| {
            tracing::error!(%err, "the OpenAPI document could not be written");
            Vec::new()
        })
    })
}

/// `GET /api/v1/openapi.json`.
pub async fn serve() -> OpenApiJson {
    OpenApiJson
}

/// The answer of [`serve`].
pub struct OpenApiJson;

impl IntoResponse for OpenApiJson {
    fn into_response(self) -> HttpResponse {
        (
            [(header::CONTENT_TYPE, "application/json")],
            document_json(),
        )
            .into_response()
    }
}

impl OperationOutput for OpenApiJson {
    type Inner = ();

    fn inferred_responses(_: &mut GenContext, _: &mut Operation) -> Vec<(Option<u16>, Response)> {
        vec![(
            Some(200),
            json_response(
                "Dette dokumentet (OpenAPI 3.1).",
                json_schema!({"type": "object"}),
            ),
        )]
    }
}

/// `rounds` for `/rounds/{id}/scenarios`: the first segment names the resource.
fn tag_of(path: &str) -> String {
    path.trim_start_matches('/')
        .split(['/', '.'])
        .next()
        .unwrap_or_default()
        .to_string()
}

/// `get_rounds_id_scenarios` for `GET /rounds/{id}/scenarios`.
fn operation_id(method: &Method, path: &str) -> String {
    let words: Vec<String> = path
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    format!("{}_{}", method.as_str().to_lowercase(), words.join("_"))
}

/// Every `{name}` in the path is a numeric id; a malformed or unknown one answers 404.
fn add_path_ids(operation: &mut Operation, path: &str, generators: &mut Generators) {
    let names = path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')));
    for name in names {
        operation
            .parameters
            .push(ReferenceOr::Item(Parameter::Path {
                parameter_data: ParameterData {
                    name: name.to_string(),
                    description: Some("Id (et heltall).".into()),
                    required: true,
                    format: ParameterSchemaOrContent::Schema(SchemaObject {
                        json_schema: generators.request.subschema_for::<i64>(),
                        example: None,
                        external_docs: None,
                    }),
                    extensions: Default::default(),
                    deprecated: None,
                    example: None,
                    examples: Default::default(),
                    explode: None,
                },
                style: Default::default(),
            }));
    }
    if path.contains('{') {
        let response = error_response(
            &mut generators.response,
            "Finnes ikke, eller er ikke synlig for deg.",
        );
        insert_if_absent(operation, 404, response);
    }
}

/// Who may call the route: the security requirement, and 401/403 for the others.
fn add_access(operation: &mut Operation, access: Access, generator: &mut SchemaGenerator) {
    if access == Access::Public {
        return;
    }
    operation.security = vec![
        IndexMap::from_iter([("api_token".to_string(), Vec::new())]),
        IndexMap::from_iter([("session".to_string(), Vec::new())]),
    ];
    let logged_in = error_response(generator, "Ikke innlogget.");
    insert_if_absent(operation, 401, logged_in);
    let role = match access {
        Access::Roles(roles) => format!(
            "Krever rollen {}.",
            roles
                .iter()
                .map(|r| r.label().to_lowercase())
                .collect::<Vec<_>>()
                .join(" eller ")
        ),
        _ => "Midlertidig passord må byttes først.".into(),
    };
    insert_if_absent(operation, 403, error_response(generator, &role));
    operation.description = Some(match operation.description.take() {
        Some(text) => format!("{text}\n\n{role}"),
        None => role,
    });
}

fn insert_if_absent(operation: &mut Operation, code: u16, response: Response) {
    operation
        .responses
        .get_or_insert_with(Default::default)
        .responses
        .entry(DocStatus::Code(code))
        .or_insert(ReferenceOr::Item(response));
}

/// Puts the two generators' schemas together. A type whose request and response schemas
/// differ under one name keeps the name for the request; the response's is renamed
/// (`…Svar`) and the answers' references follow.
fn merge_definitions(
    generators: &mut Generators,
    paths: &mut IndexMap<String, PathItem>,
) -> IndexMap<String, SchemaObject> {
    let request = generators.request.take_definitions(true);
    let mut response = generators.response.take_definitions(true);
    let renamed: IndexMap<String, String> = response
        .iter()
        .filter(|(name, schema)| request.get(*name).is_some_and(|other| other != *schema))
        .map(|(name, _)| (name.clone(), format!("{name}Svar")))
        .collect();
    if !renamed.is_empty() {
        for schema in response.values_mut() {
            rename_refs(schema, &renamed);
        }
        for item in paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                if let Some(responses) = operation.responses.take() {
                    let mut value = serde_json::to_value(&responses).unwrap_or_default();
                    rename_refs(&mut value, &renamed);
                    operation.responses = serde_json::from_value(value).ok();
                }
            }
        }
    }
    let mut schemas = IndexMap::new();
    for (name, schema) in request {
        schemas.insert(name, schema_object(schema));
    }
    for (name, schema) in response {
        let name = renamed.get(&name).cloned().unwrap_or(name);
        schemas.entry(name).or_insert_with(|| schema_object(schema));
    }
    schemas.sort_keys();
    schemas
}

fn rename_refs(value: &mut serde_json::Value, renamed: &IndexMap<String, String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                if key == "$ref"
                    && let serde_json::Value::String(target) = inner
                    && let Some(new) = target
                        .strip_prefix("#/components/schemas/")
                        .and_then(|name| renamed.get(name))
                {
                    *target = format!("#/components/schemas/{new}");
                } else {
                    rename_refs(inner, renamed);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for inner in items {
                rename_refs(inner, renamed);
            }
        }
        _ => {}
    }
}

fn schema_object(value: serde_json::Value) -> SchemaObject {
    SchemaObject {
        json_schema: Schema::try_from(value).unwrap_or_else(|_| json_schema!({})),
        example: None,
        external_docs: None,
    }
}

/// A media type whose content follows `schema`.
fn media(schema: Schema) -> MediaType {
    MediaType {
        schema: Some(SchemaObject {
            json_schema: schema,
            example: None,
            external_docs: None,
        }),
        ..Default::default()
    }
}

pub(super) fn json_response(description: &str, schema: Schema) -> Response {
    Response {
        description: description.into(),
        content: IndexMap::from_iter([("application/json".to_string(), media(schema))]),
        ..Default::default()
    }
}

/// The operation's request body, of one media type.
fn set_body(
    operation: &mut Operation,
    media_type: &str,
    schema: Schema,
    description: Option<&str>,
    required: bool,
) {
    operation.request_body = Some(ReferenceOr::Item(RequestBody {
        description: description.map(str::to_string),
        content: IndexMap::from_iter([(media_type.to_string(), media(schema))]),
        required,
        extensions: Default::default(),
    }));
}

pub(super) fn error_response(generator: &mut SchemaGenerator, description: &str) -> Response {
    json_response(description, generator.subschema_for::<ErrorBody>())
}

pub(super) fn body_response<T: JsonSchema>(ctx: &mut GenContext, description: &str) -> Response {
    json_response(description, ctx.schema.subschema_for::<T>())
}

// ---- What the extractors take ----

fn json_body<T: JsonSchema>(ctx: &mut GenContext, operation: &mut Operation, required: bool) {
    let schema = ctx.schema.subschema_for::<T>();
    set_body(operation, "application/json", schema, None, required);
}

fn refusals_of_a_body(ctx: &mut GenContext) -> Vec<(Option<u16>, Response)> {
    vec![
        (
            Some(400),
            error_response(
                &mut ctx.schema,
                "Kroppen kunne ikke leses (ikke JSON, eller feil Content-Type).",
            ),
        ),
        (
            Some(422),
            error_response(
                &mut ctx.schema,
                "Ugyldige felt: `errors` har ett element per felt.",
            ),
        ),
    ]
}

impl<T: JsonSchema> OperationInput for super::extract::ApiJson<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        json_body::<T>(ctx, operation, true);
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        _: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        refusals_of_a_body(ctx)
    }
}

impl<T: JsonSchema> OperationInput for super::extract::OptionalJson<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        json_body::<T>(ctx, operation, false);
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        _: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        refusals_of_a_body(ctx)
    }
}

impl<T: JsonSchema> OperationInput for super::extract::JsonOrForm<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        json_body::<T>(ctx, operation, true);
        let schema = ctx.schema.subschema_for::<T>();
        if let Some(ReferenceOr::Item(body)) = &mut operation.request_body {
            body.description = Some(
                "JSON, eller et multipart-skjema med de samme feltene og eventuelt et vedlegg i \
                 `file`."
                    .into(),
            );
            body.content
                .insert("multipart/form-data".into(), media(schema));
        }
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        _: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        refusals_of_a_body(ctx)
    }
}

impl<F: JsonSchema> OperationInput for super::extract::FileForm<F> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        let schema = ctx.schema.subschema_for::<F>();
        set_body(
            operation,
            "multipart/form-data",
            schema,
            Some("Multipart-skjema med filen i `file`."),
            true,
        );
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        _: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        // Its fields' problems are the handler's answer (see `UploadPreview`).
        vec![(
            Some(400),
            error_response(&mut ctx.schema, "Ikke et multipart-skjema."),
        )]
    }
}

impl<T: JsonSchema> OperationInput for super::extract::QueryParams<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        <axum::extract::Query<T> as OperationInput>::operation_input(ctx, operation);
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        _: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        vec![(
            Some(422),
            error_response(&mut ctx.schema, "Ugyldig parameter i adressen."),
        )]
    }
}

// The path's ids and the caller are documented from the route table.
impl OperationInput for super::extract::Id {}
impl OperationInput for super::extract::IdAndUser {}
impl OperationInput for super::auth::CurrentUser {}
impl OperationInput for super::auth::ClientAddress {}

/// A file field in a multipart form's description.
pub struct BinaryFile;

impl JsonSchema for BinaryFile {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "BinaryFile".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "format": "binary", "contentMediaType": "application/octet-stream"})
    }
}

// ---- What the handlers answer ----

impl OperationOutput for AppError {
    type Inner = ErrorBody;

    fn inferred_responses(ctx: &mut GenContext, _: &mut Operation) -> Vec<(Option<u16>, Response)> {
        vec![(
            None,
            error_response(
                &mut ctx.schema,
                "Feil: 404 finnes ikke, 409 konflikt (endret av andre, eller tilstanden \
                 tillater det ikke), 422 ugyldige felt, 5xx feil hos oss eller hos SSB.",
            ),
        )]
    }
}

/// 201 Created with `Location` and the new thing as JSON.
pub struct Created<T> {
    pub location: String,
    pub body: T,
}

impl<T> Created<T> {
    pub fn at(location: String, body: T) -> Self {
        Created { location, body }
    }
}

impl<T: Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> HttpResponse {
        (
            StatusCode::CREATED,
            [(header::LOCATION, self.location)],
            axum::Json(self.body),
        )
            .into_response()
    }
}

impl<T: JsonSchema> OperationOutput for Created<T> {
    type Inner = T;

    fn inferred_responses(ctx: &mut GenContext, _: &mut Operation) -> Vec<(Option<u16>, Response)> {
        let mut response = body_response::<T>(ctx, "Opprettet.");
        response.headers.insert(
            "Location".into(),
            ReferenceOr::Item(Header {
                description: Some("Adressen til det som ble opprettet.".into()),
                style: Default::default(),
                required: true,
                deprecated: None,
                format: ParameterSchemaOrContent::Schema(SchemaObject {
                    json_schema: ctx.schema.subschema_for::<String>(),
                    example: None,
                    external_docs: None,
                }),
                example: None,
                examples: Default::default(),
                extensions: Default::default(),
            }),
        );
        vec![(Some(201), response)]
    }
}

/// A file to download, of the kind `K`.
pub struct Download<K> {
    pub bytes: Vec<u8>,
    pub filename: String,
    /// The exact type, when `K` names a family (an original upload) or with parameters.
    pub content_type: Option<String>,
    pub kind: PhantomData<K>,
}

/// A kind of file the API hands out.
pub trait FileKind {
    const MEDIA_TYPE: &'static str;
    const DESCRIPTION: &'static str;
}

impl<K> Download<K> {
    pub fn new(bytes: Vec<u8>, filename: impl Into<String>) -> Self {
        Download {
            bytes,
            filename: filename.into(),
            content_type: None,
            kind: PhantomData,
        }
    }
}

impl<K: FileKind> IntoResponse for Download<K> {
    fn into_response(self) -> HttpResponse {
        (
            [
                (
                    header::CONTENT_TYPE,
                    self.content_type
                        .unwrap_or_else(|| K::MEDIA_TYPE.to_string()),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    super::responses::attachment(&self.filename),
                ),
            ],
            self.bytes,
        )
            .into_response()
    }
}

impl<K: FileKind> OperationOutput for Download<K> {
    type Inner = Vec<u8>;

    fn inferred_responses(_: &mut GenContext, _: &mut Operation) -> Vec<(Option<u16>, Response)> {
        vec![(
            Some(200),
            Response {
                description: K::DESCRIPTION.into(),
                content: IndexMap::from_iter([(K::MEDIA_TYPE.to_string(), MediaType::default())]),
                ..Default::default()
            },
        )]
    }
}

macro_rules! file_kinds {
    ($($name:ident => $media:literal, $description:literal;)*) => {
        $(
            pub struct $name;
            impl FileKind for $name {
                const MEDIA_TYPE: &'static str = $media;
                const DESCRIPTION: &'static str = $description;
            }
        )*
    };
}

file_kinds! {
    Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel-arbeidsbok.";
    Pdf => "application/pdf", "PDF.";
    Zip => "application/zip", "ZIP-arkiv.";
    Csv => "text/csv", "CSV (UTF-8 med BOM, semikolon).";
    AnyFile => "*/*", "Filen slik den ble lastet opp.";
}

/// 204 No Content.
pub struct NoContent;

impl IntoResponse for NoContent {
    fn into_response(self) -> HttpResponse {
        StatusCode::NO_CONTENT.into_response()
    }
}

impl OperationOutput for NoContent {
    type Inner = ();

    fn inferred_responses(_: &mut GenContext, _: &mut Operation) -> Vec<(Option<u16>, Response)> {
        vec![(
            Some(204),
            Response {
                description: "Utført; ingen kropp.".into(),
                ..Default::default()
            },
        )]
    }
}

/// An answer that carries a cookie besides its body (log in, log out).
pub struct WithCookie<T> {
    pub cookie: HeaderValue,
    pub answer: T,
}

impl<T: IntoResponse> IntoResponse for WithCookie<T> {
    fn into_response(self) -> HttpResponse {
        let mut response = self.answer.into_response();
        response
            .headers_mut()
            .insert(header::SET_COOKIE, self.cookie);
        response
    }
}

impl<T: OperationOutput> OperationOutput for WithCookie<T> {
    type Inner = T::Inner;

    fn inferred_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        T::inferred_responses(ctx, operation)
    }
}
