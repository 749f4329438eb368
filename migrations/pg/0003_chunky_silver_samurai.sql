CREATE TABLE "efile_replies" (
	"office_id" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"thread_id" text NOT NULL,
	"message_id" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "efile_replies_office_id_idempotency_key_pk" PRIMARY KEY("office_id","idempotency_key")
);
--> statement-breakpoint
CREATE TABLE "inbound_mails" (
	"id" text PRIMARY KEY NOT NULL,
	"office_id" text NOT NULL,
	"state" text NOT NULL,
	"reason" text,
	"channel" text NOT NULL,
	"size" integer NOT NULL,
	"header_count" integer NOT NULL,
	"part_count" integer NOT NULL,
	"attachment_count" integer NOT NULL,
	"blob_key" text,
	"thread_id" text,
	"message_id" text,
	"received_at" timestamp with time zone NOT NULL,
	"processed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "efile_replies" ADD CONSTRAINT "efile_replies_office_id_offices_id_fk" FOREIGN KEY ("office_id") REFERENCES "public"."offices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "efile_replies" ADD CONSTRAINT "efile_replies_thread_id_threads_id_fk" FOREIGN KEY ("thread_id") REFERENCES "public"."threads"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "efile_replies" ADD CONSTRAINT "efile_replies_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inbound_mails" ADD CONSTRAINT "inbound_mails_office_id_offices_id_fk" FOREIGN KEY ("office_id") REFERENCES "public"."offices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inbound_mails" ADD CONSTRAINT "inbound_mails_thread_id_threads_id_fk" FOREIGN KEY ("thread_id") REFERENCES "public"."threads"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inbound_mails" ADD CONSTRAINT "inbound_mails_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."messages"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "inbound_mails_office_state_idx" ON "inbound_mails" USING btree ("office_id","state","received_at");