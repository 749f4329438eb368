CREATE TABLE "routing_rule_versions" (
	"office_id" text NOT NULL,
	"version" integer NOT NULL,
	"rules" jsonb NOT NULL,
	"changed_by" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "routing_rule_versions_office_id_version_pk" PRIMARY KEY("office_id","version")
);
--> statement-breakpoint
CREATE TABLE "service_center_items" (
	"id" text PRIMARY KEY NOT NULL,
	"office_id" text NOT NULL,
	"delivery_id" text NOT NULL,
	"message_id" text NOT NULL,
	"thread_id" text NOT NULL,
	"queue" text NOT NULL,
	"state" text NOT NULL,
	"claimed_by" text,
	"lease_until" timestamp with time zone,
	"due_at" timestamp with time zone NOT NULL,
	"overdue" boolean NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "routing_rule_versions" ADD CONSTRAINT "routing_rule_versions_office_id_offices_id_fk" FOREIGN KEY ("office_id") REFERENCES "public"."offices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_center_items" ADD CONSTRAINT "service_center_items_office_id_offices_id_fk" FOREIGN KEY ("office_id") REFERENCES "public"."offices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_center_items" ADD CONSTRAINT "service_center_items_delivery_id_deliveries_id_fk" FOREIGN KEY ("delivery_id") REFERENCES "public"."deliveries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_center_items" ADD CONSTRAINT "service_center_items_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_center_items" ADD CONSTRAINT "service_center_items_thread_id_threads_id_fk" FOREIGN KEY ("thread_id") REFERENCES "public"."threads"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "service_center_items_delivery_uq" ON "service_center_items" USING btree ("delivery_id");--> statement-breakpoint
CREATE INDEX "service_center_items_queue_idx" ON "service_center_items" USING btree ("office_id","queue","state","due_at");--> statement-breakpoint
CREATE INDEX "service_center_items_due_idx" ON "service_center_items" USING btree ("state","due_at");