CREATE TABLE "routing_rule_versions" (
	"office_id" text NOT NULL,
	"version" integer NOT NULL,
	"rules" jsonb NOT NULL,
	"changed_by" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "routing_rule_versions_office_id_version_pk" PRIMARY KEY("office_id","version")
);
--> statement-breakpoint
ALTER TABLE "routing_rule_versions" ADD CONSTRAINT "routing_rule_versions_office_id_offices_id_fk" FOREIGN KEY ("office_id") REFERENCES "public"."offices"("id") ON DELETE no action ON UPDATE no action;