import * as aws from "@pulumi/aws";
const db = new aws.rds.Instance("app", { engine: "postgres", engineVersion: "16.3" });
