// The proxy's config.yaml, generated with a YAML library from the typed model list. The
// real-proxy check starts LiteLLM on exactly this text.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { findProjectFile, LiteLLMConfig } from "./config";
import { LITELLM } from "./names";

export type LiteLLMConfigInputs = Pick<
    LiteLLMConfig,
    "models" | "vertexProject" | "vertexLocation" | "numRetries" | "requestTimeoutSeconds"
>;

export interface LiteLLMConfigOptions {
    /** Where the service-account JSON is mounted; omitted when running without credentials. */
    credentialsPath?: string;
}

export const CREDENTIALS_PATH = `${LITELLM.credentialsMountPath}/${LITELLM.credentialsKey}`;

export function renderLiteLLMConfig(
    cfg: LiteLLMConfigInputs,
    options: LiteLLMConfigOptions = { credentialsPath: CREDENTIALS_PATH },
): string {
    const document = {
        model_list: cfg.models.map((m) => ({
            model_name: m.name,
            litellm_params: {
                model: `vertex_ai/${m.model}`,
                vertex_project: cfg.vertexProject,
                vertex_location: cfg.vertexLocation,
                ...(options.credentialsPath ? { vertex_credentials: options.credentialsPath } : {}),
            },
        })),
        general_settings: {
            // LiteLLM reads os.environ/X as an empty string when X is unset; the Deployment
            // always sets it from the master-key Secret.
            master_key: `os.environ/${LITELLM.masterKeyEnv}`,
        },
        litellm_settings: {
            drop_params: true,
            num_retries: cfg.numRetries,
            request_timeout: cfg.requestTimeoutSeconds,
            // The proxy must not fetch what a caller names (litellm/url_guard.py): LiteLLM loads
            // <module>.<instance> from the config's own directory.
            callbacks: [`${path.basename(LITELLM.urlGuardFile, ".py")}.proxy_handler_instance`],
            // The token counter downloads image URLs to size them, before any hook runs.
            disable_token_counter: true,
        },
    };
    return YAML.stringify(document);
}

/** The proxy hook's source, as the ConfigMap carries it beside config.yaml. */
export function urlGuardSource(): string {
    return fs.readFileSync(path.join(path.dirname(findProjectFile()), "litellm", LITELLM.urlGuardFile), "utf8");
}
