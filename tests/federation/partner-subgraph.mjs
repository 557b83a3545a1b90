// A partner's subgraph, as tiny as Apollo Federation v2 allows: it extends clubgraph's `Member` and
// `Reward` entities with a field of its own each, computed from the global ID alone, and returns
// Member references that the gateway resolves through clubgraph's `_entities`.
//
//   node partner-subgraph.mjs <port>      serves http://127.0.0.1:<port>/ (any path)
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

  type Query {
    "The wine club's guest list of a tasting: a seat for each member id given, in order."
    wineClubGuestList(memberIds: [ID!]!): [WineClubGuest!]!
  }

  type WineClubGuest {
    seat: Int!
    "The member, resolved by clubgraph: null when the caller may not see them."
    member: Member
  }

  type Member @key(fields: "id") {
    id: ID!
    "The member's level in the partner's wine club, derived from their id; null for an id that is not a member's."
    wineClubLevel: String
  }

  type Reward @key(fields: "id") {
    id: ID!
    "Where the partner's cellar keeps the club's own reward; null for a partner's item."
    cellarNote: String
  }
`);

const LEVELS = ["Cellar", "Reserve", "Grand Cru"];

/** "TWVtYmVyOjc=" (base64 of "Member:7") gives "Reserve" (7 % 3 = 1). */
function wineClubLevel(globalId) {
  const match = /^Member:(\d+)$/.exec(Buffer.from(globalId, "base64").toString("utf8"));
  return match ? LEVELS[Number(match[1]) % LEVELS.length] : null;
}

/** "UmV3YXJkOmNsdWI6MTI=" (base64 of "Reward:club:12") gives "Rack 3" (12 % 5 + 1). */
function cellarNote(globalId) {
  const match = /^Reward:club:(\d+)$/.exec(Buffer.from(globalId, "base64").toString("utf8"));
  return match ? `Rack ${(Number(match[1]) % 5) + 1}` : null;
}

const resolvers = {
  Query: {
    wineClubGuestList: (_, { memberIds }) =>
      memberIds.map((id, index) => ({ seat: index + 1, member: { __typename: "Member", id } })),
  },
  Member: {
    __resolveReference: (reference) => ({ id: reference.id }),
    wineClubLevel: (member) => wineClubLevel(member.id),
  },
  Reward: {
    __resolveReference: (reference) => ({ id: reference.id }),
    cellarNote: (reward) => cellarNote(reward.id),
  },
};

const port = Number(process.argv[2] ?? 4001);
const server = new ApolloServer({
  schema: buildSubgraphSchema({ typeDefs, resolvers }),
  includeStacktraceInErrorResponses: false,
});
const { url } = await startStandaloneServer(server, { listen: { host: "127.0.0.1", port } });
console.log(`partner subgraph ready at ${url}`);
