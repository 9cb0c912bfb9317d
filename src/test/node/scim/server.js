// A strict, in-memory SCIM 2.0 service provider (RFC 7643/7644) for LearnBridge tests.
// SCIMMY parses, coerces and formats resources; scimmy-routers provides the Express endpoints;
// this file owns the store (ingress/egress/degress), bearer-token authentication, the strictness
// SCIMMY leaves to the implementer (uniqueness, unknown attributes, missing "schemas"), and a
// request log under /_test for tests to count effects.
//
// Environment:
//   SCIM_TOKEN  required; requests must send "Authorization: Bearer <SCIM_TOKEN>"
//   SCIM_PORT   port on 127.0.0.1; 0 (the default) picks a free one
// Prints "ready http://127.0.0.1:<port>/scim/v2" on stdout once listening; exits when stdin closes
// (so a killed test JVM does not leave it running), on SIGTERM and on SIGINT.

import {randomUUID, timingSafeEqual} from "node:crypto";
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";

const HOST = "127.0.0.1";
const BASE_PATH = "/scim/v2";

const token = process.env.SCIM_TOKEN;
if (!token) {
    console.error("SCIM_TOKEN is not set: the server refuses to run without a bearer token");
    process.exit(2);
}
const requestedPort = Number.parseInt(process.env.SCIM_PORT ?? "0", 10);
if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535) {
    console.error(`SCIM_PORT must be a port number, found '${process.env.SCIM_PORT}'`);
    process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Store
// ---------------------------------------------------------------------------------------------

const users = new Map();
const groups = new Map();
const requestLog = [];

const plain = (value) => JSON.parse(JSON.stringify(value));
const scimError = (status, scimType, detail) => new SCIMMY.Types.Error(status, scimType, detail);

function stamp(record, previous) {
    const now = new Date().toISOString();
    const version = (previous ? Number.parseInt(/\d+/.exec(previous.meta.version)[0], 10) : 0) + 1;
    record.meta = {created: previous?.meta.created ?? now, lastModified: now, version: `W/"${version}"`};
    return record;
}

// Attributes the client may not set (readOnly), and the shape SCIMMY hands to ingress.
function writable(instance, resourceType) {
    const data = plain(instance);
    delete data.id;
    delete data.meta;
    if (resourceType === "User") delete data.groups;
    return data;
}

function assertUnique(collection, id, attribute, value, caseExact, resourceType) {
    if (value === undefined || value === null) return;
    const same = caseExact ? (a) => a === value : (a) => typeof a === "string" && a.toLowerCase() === value.toLowerCase();
    for (const [otherId, other] of collection) {
        if (otherId !== id && same(other[attribute])) {
            throw scimError(409, "uniqueness", `${resourceType} ${attribute} '${value}' is already taken by ${otherId}`);
        }
    }
}

function save(collection, resource, data) {
    const previous = resource.id ? collection.get(resource.id) : undefined;
    if (resource.id && !previous) throw scimError(404, null, `Resource ${resource.id} not found`);
    const id = resource.id ?? randomUUID();
    const record = stamp({...data, id}, previous);
    collection.set(id, record);
    return record;
}

// SCIMMY's Filter.match compares strings case-sensitively and does not look inside extensions.
// RFC 7644 §3.4.2.2 wants caseExact honoured (userName eq "ADA@x" finds "ada@x"), so filters run
// against a projection: strings of caseExact=false attributes lower-cased, extension attributes
// also flattened to "urn:...:User:department"; the filter's literals are folded the same way.
const isExtension = (attribute) => attribute instanceof SCIMMY.Types.SchemaDefinition;
const findAttribute = (attributes, name) => attributes.find((a) => !isExtension(a) && a.name.toLowerCase() === name.toLowerCase());
const foldsCase = (attribute) => attribute?.type === "string" && attribute.config.caseExact === false;

function extensionAttribute(definition, key) {
    for (const extension of definition.attributes.filter(isExtension)) {
        const prefix = `${extension.id.toLowerCase()}:`;
        if (key.toLowerCase().startsWith(prefix)) return findAttribute(extension.attributes, key.slice(prefix.length));
    }
    return undefined;
}

function project(value, attributes) {
    if (Array.isArray(value)) return value.map((element) => project(element, attributes));
    if (value === null || typeof value !== "object") return value;
    const projection = {};
    for (const [key, inner] of Object.entries(value)) {
        const extension = attributes.find((a) => isExtension(a) && a.id.toLowerCase() === key.toLowerCase());
        if (extension) {
            projection[key] = project(inner, extension.attributes);
            for (const [name, nested] of Object.entries(projection[key] ?? {})) projection[`${key}:${name}`] = nested;
            continue;
        }
        const attribute = findAttribute(attributes, key);
        if (attribute?.type === "complex") projection[key] = project(inner, attribute.subAttributes ?? []);
        else if (foldsCase(attribute)) projection[key] = Array.isArray(inner) ? inner.map((s) => String(s).toLowerCase()) : String(inner).toLowerCase();
        else projection[key] = inner;
    }
    return projection;
}

function foldExpression(expression, attributes, definition) {
    const folded = {};
    for (const [key, inner] of Object.entries(expression)) {
        const attribute = findAttribute(attributes, key) ?? (definition ? extensionAttribute(definition, key) : undefined);
        if (!attribute) throw scimError(400, "invalidFilter", `Filter names unknown attribute '${key}'`);
        const foldLeaf = (leaf) => {
            const copy = [...leaf];
            const last = copy.length - 1;
            if (foldsCase(attribute) && typeof copy[last] === "string" && copy.length > 1) copy[last] = copy[last].toLowerCase();
            return copy;
        };
        if (Array.isArray(inner)) folded[key] = inner.every(Array.isArray) ? inner.map(foldLeaf) : foldLeaf(inner);
        else folded[key] = foldExpression(inner, attribute?.subAttributes ?? [], undefined);
    }
    return folded;
}

function select(collection, resource, definition) {
    if (resource.id) {
        const record = collection.get(resource.id);
        if (!record) throw scimError(404, null, `Resource ${resource.id} not found`);
        return record;
    }
    const all = [...collection.values()];
    if (!resource.filter) return all;
    const expressions = [...resource.filter].map((e) => foldExpression(e, definition.attributes, definition));
    const filter = new SCIMMY.Types.Filter(expressions);
    // SCIMMY 1.3.5 throws on 'name.givenName eq ...' or 'emails[...]' when a resource lacks that
    // complex attribute, so the projection gives those (and only those) an empty value.
    const complexInFilter = new Set(expressions.flatMap((e) => Object.keys(e).filter((k) => !Array.isArray(e[k]))));
    const withDefaults = (projection) => {
        for (const key of complexInFilter) if (!(key in projection)) projection[key] = {};
        return projection;
    };
    const byProjection = new Map(all.map((record) => [withDefaults(project(record, definition.attributes)), record]));
    return filter.match([...byProjection.keys()]).map((projection) => byProjection.get(projection));
}

function userView(record) {
    const memberOf = [...groups.values()]
        .filter((group) => (group.members ?? []).some((member) => member.value === record.id))
        .map((group) => ({value: group.id, display: group.displayName, type: "direct"}));
    return plain({...record, ...(memberOf.length ? {groups: memberOf} : {})});
}

SCIMMY.Resources.declare(SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser, false))
    .ingress((resource, instance) => {
        const data = writable(instance, "User");
        assertUnique(users, resource.id, "userName", data.userName, false, "User");
        assertUnique(users, resource.id, "externalId", data.externalId, true, "User");
        return userView(save(users, resource, data));
    })
    .egress((resource) => {
        const found = select(users, resource, SCIMMY.Schemas.User.definition);
        return Array.isArray(found) ? found.map(userView) : userView(found);
    })
    .degress((resource) => {
        if (!users.delete(resource.id)) throw scimError(404, null, `Resource ${resource.id} not found`);
        for (const group of groups.values()) {
            if (group.members) group.members = group.members.filter((member) => member.value !== resource.id);
        }
    });

SCIMMY.Resources.declare(SCIMMY.Resources.Group)
    .ingress((resource, instance) => {
        const data = writable(instance, "Group");
        assertUnique(groups, resource.id, "externalId", data.externalId, true, "Group");
        for (const member of data.members ?? []) {
            if (!users.has(member.value) && !groups.has(member.value)) {
                throw scimError(400, "invalidValue", `Group member '${member.value}' is neither a User nor a Group`);
            }
        }
        return plain(save(groups, resource, data));
    })
    .egress((resource) => plain(select(groups, resource, SCIMMY.Schemas.Group.definition)))
    .degress((resource) => {
        if (!groups.delete(resource.id)) throw scimError(404, null, `Resource ${resource.id} not found`);
    });

// ---------------------------------------------------------------------------------------------
// Strictness SCIMMY leaves to the implementer: it drops unknown attributes silently and fills in
// a missing "schemas". Here both are 400 invalidSyntax (RFC 7644 §3.12: "did not conform to the
// request schema"). Types, required attributes and PATCH paths are checked by SCIMMY itself.
// ---------------------------------------------------------------------------------------------

const resourceSchemas = {Users: SCIMMY.Schemas.User.definition, Groups: SCIMMY.Schemas.Group.definition};

function unknownAttributes(value, attributes, where) {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return [];
    const problems = [];
    for (const [key, inner] of Object.entries(value)) {
        const attribute = attributes.find((a) => a.name.toLowerCase() === key.toLowerCase());
        if (!attribute) {
            problems.push(`${where}${key}`);
        } else if (attribute.type === "complex" && attribute.subAttributes) {
            for (const element of (Array.isArray(inner) ? inner : [inner])) {
                problems.push(...unknownAttributes(element, attribute.subAttributes, `${where}${key}.`));
            }
        }
    }
    return problems;
}

function conformanceProblems(body, definition) {
    if (body === null || typeof body !== "object" || Array.isArray(body)) return []; // SCIMMY answers these
    const extensions = definition.attributes.filter((a) => a instanceof SCIMMY.Types.SchemaDefinition);
    const known = new Set([definition.id, ...extensions.map((e) => e.id)].map((id) => id.toLowerCase()));
    const problems = [];
    const declared = Array.isArray(body.schemas) ? body.schemas.map((s) => String(s).toLowerCase()) : null;
    if (!declared) {
        problems.push(`"schemas" must be an array naming ${definition.id}`);
    } else {
        if (!declared.includes(definition.id.toLowerCase())) problems.push(`"schemas" does not name ${definition.id}`);
        for (const urn of body.schemas) {
            if (!known.has(String(urn).toLowerCase())) problems.push(`unknown schema ${urn}`);
        }
    }
    const core = definition.attributes.filter((a) => !(a instanceof SCIMMY.Types.SchemaDefinition));
    for (const [key, value] of Object.entries(body)) {
        const extension = extensions.find((e) => e.id.toLowerCase() === key.toLowerCase());
        if (extension) {
            if (declared && !declared.includes(extension.id.toLowerCase())) problems.push(`"schemas" does not name ${extension.id}`);
            if (value !== null && (typeof value !== "object" || Array.isArray(value))) problems.push(`${key} must be a complex value`);
            else problems.push(...unknownAttributes(value, extension.attributes, `${key}:`).map((p) => `unknown attribute ${p}`));
        } else {
            problems.push(...unknownAttributes({[key]: value}, core, "").map((p) => `unknown attribute ${p}`));
        }
    }
    return problems;
}

function patchProblems(body, definition) {
    const operations = Array.isArray(body?.Operations) ? body.Operations : [];
    const problems = [];
    operations.forEach((operation, index) => {
        const value = operation?.value;
        if (operation?.path === undefined && value !== null && typeof value === "object" && !Array.isArray(value)) {
            const {schemas, ...attributes} = value;
            problems.push(...conformanceProblems({schemas: [definition.id, ...Object.keys(attributes)
                .filter((k) => k.toLowerCase().startsWith("urn:"))], ...attributes}, definition)
                .map((p) => `${p} in operation ${index}`));
        }
    });
    return problems;
}

function strict(req, res, next) {
    const [, collection, id] = req.path.split("/");
    const definition = resourceSchemas[collection];
    let problems = [];
    if (definition && ((req.method === "POST" && id === undefined) || (req.method === "PUT" && id))) {
        problems = conformanceProblems(req.body, definition);
    } else if (definition && req.method === "PATCH" && id) {
        problems = patchProblems(req.body, definition);
    }
    if (problems.length) next(scimError(400, "invalidSyntax", problems.join("; ")));
    else next();
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

function bearerMatches(header) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
    if (!match) return false;
    const given = Buffer.from(match[1]);
    const expected = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
}

function sendError(res, ex) {
    const status = ex.status ?? ex.statusCode ?? 500;
    const error = ex instanceof SCIMMY.Types.Error ? ex
        : scimError(status, status === 400 ? "invalidSyntax" : null, ex.message);
    res.status(status).type("application/scim+json").send(JSON.stringify(new SCIMMY.Messages.Error(error)));
}

const app = express();
app.disable("x-powered-by");
app.set("etag", false);

app.use(BASE_PATH, (req, res, next) => {
    const entry = {method: req.method, path: req.path, query: {...req.query}, status: 0, body: null,
        received: new Date().toISOString()};
    res.on("finish", () => {
        entry.status = res.statusCode;
        entry.body = req._body === true ? req.body : null;
        requestLog.push(entry);
    });
    next();
});

app.use(BASE_PATH, (req, res, next) => {
    if (bearerMatches(req.get("authorization"))) return next();
    const invalid = req.get("authorization") ? ', error="invalid_token"' : "";
    res.set("WWW-Authenticate", `Bearer realm="scim"${invalid}`);
    sendError(res, scimError(401, null, invalid ? "Bearer token is not valid" : "Authorization: Bearer <token> is required"));
});

app.use(BASE_PATH, express.json({type: ["application/scim+json", "application/json"], limit: "1mb"}));
app.use(BASE_PATH, strict);

let port = requestedPort;
app.use(BASE_PATH, new SCIMMYRouters({
    type: "bearer",
    docUri: "https://datatracker.ietf.org/doc/html/rfc6750",
    handler: () => "learnbridge-test-client", // authentication already happened above
    baseUri: () => `http://${HOST}:${port}`
}));

// Errors raised before the SCIMMY router (malformed JSON, strictness) answer in SCIM form.
app.use(BASE_PATH, (ex, req, res, next) => sendError(res, ex));

app.get("/_test/requests", (req, res) => res.json(requestLog));
app.post("/_test/reset", (req, res) => {
    users.clear();
    groups.clear();
    requestLog.length = 0;
    res.status(204).end();
});
app.use((req, res) => res.status(404).json({detail: `no test endpoint ${req.method} ${req.path}`}));

const server = app.listen(requestedPort, HOST, () => {
    port = server.address().port;
    console.log(`ready http://${HOST}:${port}${BASE_PATH}`);
});
server.on("error", (ex) => {
    console.error(`cannot listen on ${HOST}:${requestedPort}: ${ex.message}`);
    process.exit(1);
});

const stop = () => {
    server.close();
    server.closeAllConnections?.();
    process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.on("error", stop);
process.stdin.resume();
