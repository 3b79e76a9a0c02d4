// MaiaOS data as a human's browser makes it (MaiaOS libs/maia-db seed: bootstrapAndScaffold),
// built by a real cojson client: the structure the JavaScript moai's agent routes walk.
//
//   spark {name:"@maia", os, registries}
//   os {capabilities, schematas, indexes}
//   capabilities {guardian, publicReaders}
//   schematas {"@maia/schema/meta": <metaschema>, "@maia/schema/data/todos": <todos schema>}
//   registries {humans}
//
// Every CoValue lives in a group of its own that extends the guardian as admin and that the
// creator then leaves (createCoValueForSpark); the humans registry's group extends the
// guardian and the public readers. Schemas are CoMaps whose keys are the schema's own.

export const todosSchemaDefinition = {
  title: "@maia/schema/data/todos",
  cotype: "comap",
  indexing: true,
  properties: {
    text: { type: "string", minLength: 1, pattern: ".*\\S.*" },
    done: { type: "boolean" },
  },
  required: ["text", "done"],
  additionalProperties: false,
};

// `serverAccount` joins the guardian with `serverRole`, as a human lets the server act.
export async function maiaSpark(node, serverAccount, { serverRole = "writer" } = {}) {
  const me = node.expectCurrentAccount("maiaSpark");
  const guardian = node.createGroup();
  if (serverAccount) guardian.addMember(serverAccount, serverRole);
  const everyone = node.createGroup();
  everyone.addMember("everyone", "reader");
  const publicReaders = node.createGroup();
  publicReaders.extend(guardian, "extend");
  publicReaders.extend(everyone, "reader");

  const forSpark = (make) => {
    const group = node.createGroup();
    group.extend(guardian, "admin");
    const value = make(group);
    group.removeMember(me);
    return value;
  };
  const metaSchema = forSpark((g) => g.createMap({ title: "@maia/schema/meta" }, { $schema: "@metaSchema" }));
  const todosSchema = forSpark((g) => g.createMap(todosSchemaDefinition, { $schema: metaSchema.id }));
  const schematas = forSpark((g) =>
    g.createMap(
      { "@maia/schema/meta": metaSchema.id, "@maia/schema/data/todos": todosSchema.id },
      { $schema: "@metaSchema" },
    ),
  );
  const indexes = forSpark((g) => g.createMap({}, { $schema: "@metaSchema" }));
  const capabilities = forSpark((g) =>
    g.createMap({ guardian: guardian.id, publicReaders: publicReaders.id }, { $schema: "@metaSchema" }),
  );
  const os = forSpark((g) =>
    g.createMap({ capabilities: capabilities.id, schematas: schematas.id, indexes: indexes.id }, { $schema: "@metaSchema" }),
  );
  const humansGroup = node.createGroup();
  humansGroup.extend(guardian, "extend");
  humansGroup.extend(publicReaders, "reader");
  const humans = humansGroup.createMap({}, { $schema: "@metaSchema" });
  humansGroup.removeMember(me);
  const registries = forSpark((g) => g.createMap({ humans: humans.id }, { $schema: "@metaSchema" }));
  const spark = forSpark((g) => g.createMap({ name: "@maia", os: os.id, registries: registries.id }, { $schema: "@metaSchema" }));
  const all = { guardian, publicReaders, metaSchema, todosSchema, schematas, indexes, capabilities, os, humans, registries, spark };
  await Promise.all(Object.values(all).map((v) => v.core.waitForSync()));
  return all;
}

// The credentials MaiaOS's generate-credentials.js makes: a random agent secret and the ID
// of the account its agent would create (the header names only that agent).
export function maiaCredentials(crypto, cojsonInternals) {
  const secret = crypto.newRandomAgentSecret();
  const header = cojsonInternals.accountHeaderForInitialAgentSecret(secret, crypto);
  return { peerId: cojsonInternals.idforHeader(header, crypto), peerSecret: secret };
}
