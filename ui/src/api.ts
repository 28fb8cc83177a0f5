// The daemon's Launcher and Manager, called over gRPC-web through the gateway that serves
// this page (same origin), or through VITE_DLKIT_GATEWAY in development.
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { LauncherService } from "./gen/dlkit/v1/launcher_pb";
import { ManagerService } from "./gen/dlkit/v1/manager_pb";

const baseUrl = (import.meta as { env?: Record<string, string> }).env?.VITE_DLKIT_GATEWAY ?? location.origin;
const transport = createGrpcWebTransport({ baseUrl });

export const launcher = createClient(LauncherService, transport);
export const manager = createClient(ManagerService, transport);

// The message of a failed call, without connect's "[code]" prefix.
export function errorText(err: unknown): string {
  const e = err as { rawMessage?: string; message?: string };
  return e.rawMessage ?? e.message ?? String(err);
}
