// A real Apollo gateway composing clubgraph with the partner subgraph: the example of how
// clubgraph runs under Apollo Federation v2.
//
//   node gateway.mjs <port> <clubgraph url> <partner subgraph url>
//
// It composes once at start (IntrospectAndCompose asks each subgraph for `_service { sdl }`) and
// forwards the caller's Authorization header to every subgraph, so that clubgraph applies the
// caller's own visibility rules to what the gateway fetches, `_entities` included.
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";

const [port, clubgraphUrl, partnerUrl] = process.argv.slice(2);

class ForwardAuthorization extends RemoteGraphQLDataSource {
  willSendRequest({ request, context }) {
    if (context.authorization) {
      request.http.headers.set("authorization", context.authorization);
    }
  }
}

const gateway = new ApolloGateway({
  supergraphSdl: new IntrospectAndCompose({
    subgraphs: [
      { name: "clubgraph", url: clubgraphUrl },
      { name: "partner", url: partnerUrl },
    ],
  }),
  buildService: ({ url }) => new ForwardAuthorization({ url }),
});

const server = new ApolloServer({ gateway, includeStacktraceInErrorResponses: false });
const { url } = await startStandaloneServer(server, {
  listen: { host: "127.0.0.1", port: Number(port) },
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
});
console.log(`gateway ready at ${url}`);
