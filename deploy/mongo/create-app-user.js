// Run once by the mongo image on its first start (an empty volume), as the root user:
// the API's own user, with readWrite on its database only. Names and password come from the
// container's environment (docker-compose.yml, from .env), never from this file.
const dbName = process.env.MONGODB_DATABASE || "storefront";
db.getSiblingDB("admin").createUser({
  user: process.env.MONGO_APP_USERNAME,
  pwd: process.env.MONGO_APP_PASSWORD,
  roles: [{ role: "readWrite", db: dbName }],
});
