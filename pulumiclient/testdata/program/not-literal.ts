import * as aws from "@pulumi/aws";
const args = { engine: "postgres" };
const db = new aws.rds.Instance("app", args);
