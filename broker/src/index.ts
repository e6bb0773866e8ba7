export {};
export { startGrpcServer } from "./transports/grpc/grpc-server.js";
export type { GrpcServer, GrpcServerOptions } from "./transports/grpc/grpc-server.js";
